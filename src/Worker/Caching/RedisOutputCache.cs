using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace ComfySnap.Worker.Caching;

/// <summary>
/// The shared output cache on Redis. Connects only when the worker starts serving, never blocks a
/// job during an outage (FailFast backlog): errors are misses, logged once per outage.
/// </summary>
public sealed class RedisOutputCache(IOptions<CacheOptions> options, ILogger<RedisOutputCache> logger) : IOutputCache, IAsyncDisposable
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

        var config = ConfigurationOptions.Parse(options.Value.Redis!);
        config.AbortOnConnectFail = false;
        config.BacklogPolicy = BacklogPolicy.FailFast;
        config.ConnectTimeout = Math.Min(config.ConnectTimeout, 2000);
        var certificates = RedisCertificateValidator.Attach(config, options.Value.RedisTlsCaFile, logger);
        var redis = await ConnectionMultiplexer.ConnectAsync(config).WaitAsync(cancellationToken).ConfigureAwait(false);
        if (certificates is not null && !redis.IsConnected)
        {
            // A certificate Redis will always present is a configuration error, not an outage: the boot
            // fails with the reason (a Redis that is merely down still gives uncached jobs and a warning).
            var rejected = certificates.Rejected;
            if (await Task.WhenAny(rejected, Task.Delay(config.ConnectTimeout, cancellationToken)).ConfigureAwait(false) == rejected)
            {
                await redis.DisposeAsync().ConfigureAwait(false);
                throw await rejected.ConfigureAwait(false);
            }
        }

        _redis = redis;
        _redis.ConnectionFailed += (_, e) => MarkDown(e.Exception);
        _redis.ConnectionRestored += (_, _) =>
        {
            if (Interlocked.Exchange(ref _down, 0) == 1)
            {
                logger.LogInformation("Redis output cache is back at {Endpoint}", EndpointText);
            }
        };
        if (!_redis.IsConnected)
        {
            MarkDown(null);
        }
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
