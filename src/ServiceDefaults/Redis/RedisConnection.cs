using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace ComfySnap.ServiceDefaults.Redis;

/// <summary>
/// A program's one Redis connection (<see cref="RedisConnector"/>), made when the host starts so a
/// bad Cache:Redis ends the start with one line; <see cref="IConnectionMultiplexer"/> resolves to it.
/// </summary>
public sealed class RedisConnection(IOptions<RedisConnectionOptions> options, ILogger<RedisConnection> logger) : IHostedService, IAsyncDisposable
{
    private readonly Lock _lock = new();
    private Task<ConnectionMultiplexer>? _connect;

    /// <summary>The connection; blocks until the first connection is made (the host's start makes it before anything is served).</summary>
    public IConnectionMultiplexer Multiplexer => ConnectAsync(CancellationToken.None).GetAwaiter().GetResult();

    public Task StartAsync(CancellationToken cancellationToken) => ConnectAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        if (_connect is { IsCompletedSuccessfully: true } connected)
        {
            await connected.Result.DisposeAsync().ConfigureAwait(false);
        }
    }

    private Task<ConnectionMultiplexer> ConnectAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            // A failed or cancelled attempt is not kept: the next caller tries again.
            if (_connect is null || _connect.IsFaulted || _connect.IsCanceled)
            {
                _connect = RedisConnector.ConnectAsync(options.Value, logger, tune: null, cancellationToken);
            }

            return _connect;
        }
    }
}
