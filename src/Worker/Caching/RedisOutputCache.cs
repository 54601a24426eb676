using ComfySnap.ServiceDefaults.Redis;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace ComfySnap.Worker.Caching;

/// <summary>
/// The shared output cache on Redis. Connects only when the worker starts serving (first contact:
/// a Redis that refuses the worker or never answers ends the boot in one line), never blocks a job
/// during a later outage (FailFast backlog): errors are misses, logged once per outage.
/// </summary>
public sealed class RedisOutputCache(IOptions<RedisConnectionOptions> options, ILogger<RedisOutputCache> logger) : IOutputCache, IAsyncDisposable
{
    private ConnectionMultiplexer? _redis;
    private int _down;

    public bool IsUp => _redis?.IsConnected == true && Volatile.Read(ref _down) == 0;

    /// <summary>The connection, once started (shared with <see cref="RedisJobLeases"/>).</summary>
    public IConnectionMultiplexer? Connection => _redis;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_redis is not null)
        {
            return;
        }

        var redis = await RedisConnector.ConnectAsync(options.Value, logger, config =>
        {
            config.BacklogPolicy = BacklogPolicy.FailFast;
            config.ConnectTimeout = Math.Min(config.ConnectTimeout, 2000);
        }, cancellationToken).ConfigureAwait(false);
        _redis = redis;
        _redis.ConnectionFailed += (_, e) => MarkDown(e.Exception);
        _redis.ConnectionRestored += (_, _) =>
        {
            if (Interlocked.Exchange(ref _down, 0) == 1)
            {
                logger.LogInformation("Redis output cache is back at {Endpoint}", EndpointText);
            }
        };
    }

    public async Task<byte[]?> GetAsync(string key, CancellationToken cancellationToken)
    {
        if (_redis is null)
        {
            return null;
        }

        try
        {
            var value = await _redis.GetDatabase().StringGetAsync(key).WaitAsync(cancellationToken).ConfigureAwait(false);
            return value.IsNull ? null : (byte[]?)value;
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            MarkDown(e);
            return null;
        }
    }

    public async Task<bool> SetAsync(string key, ReadOnlyMemory<byte> value, TimeSpan ttl, CancellationToken cancellationToken)
    {
        if (_redis is null)
        {
            return false;
        }

        try
        {
            return await _redis.GetDatabase().StringSetAsync(key, value, ttl).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            MarkDown(e);
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_redis is not null)
        {
            await _redis.DisposeAsync().ConfigureAwait(false);
        }
    }

    private string EndpointText => string.Join(",", _redis?.GetEndPoints().Select(e => e.ToString()) ?? []);

    // One warning per outage: only the transition up -> down logs.
    private void MarkDown(Exception? e)
    {
        if (Interlocked.Exchange(ref _down, 1) == 0)
        {
            logger.LogWarning("Redis output cache unavailable at {Endpoint}; jobs run uncached until it returns: {Reason}",
                EndpointText, e?.Message ?? "not connected");
        }
    }
}
