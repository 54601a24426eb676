using ComfySnap.Worker.Jobs.Leases;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace ComfySnap.Worker.Caching;

/// <summary>
/// Job leases in Redis on the output cache's connection: SET NX PX to take one, Lua
/// compare-and-extend to renew, compare-and-delete to release. Fails fast while Redis is down
/// (<see cref="LeaseAttempt.Unavailable"/>), logging one warning per outage.
/// </summary>
public sealed class RedisJobLeases(RedisOutputCache cache, IOptions<CacheOptions> options, ILogger<RedisJobLeases> logger) : IJobLeases
{
    private const string RenewScript = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end";
    private const string ReleaseScript = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";
    private int _down;

    public string Key(string jobId) => $"{options.Value.KeyPrefix}lease:{jobId}";

    public async Task<LeaseAttempt> TryAcquireAsync(string jobId, string owner, TimeSpan ttl, CancellationToken cancellationToken)
    {
        if (cache.Connection is not { } redis)
        {
            MarkDown(null);
            return LeaseAttempt.Unavailable;
        }

        try
        {
            var taken = await redis.GetDatabase().StringSetAsync(Key(jobId), owner, ttl, When.NotExists).WaitAsync(cancellationToken).ConfigureAwait(false);
            MarkUp();
            return taken ? LeaseAttempt.Acquired : LeaseAttempt.HeldByOther;
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            MarkDown(e);
            return LeaseAttempt.Unavailable;
        }
    }

    public async Task<LeaseRenewal> RenewAsync(string jobId, string owner, TimeSpan ttl, CancellationToken cancellationToken)
    {
        if (cache.Connection is not { } redis)
        {
            return LeaseRenewal.Unavailable;
        }

        try
        {
            var result = await redis.GetDatabase().ScriptEvaluateAsync(RenewScript, [Key(jobId)], [owner, (long)ttl.TotalMilliseconds])
                .WaitAsync(cancellationToken).ConfigureAwait(false);
            MarkUp();
            return (long)result == 1 ? LeaseRenewal.Renewed : LeaseRenewal.Lost;
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            MarkDown(e);
            return LeaseRenewal.Unavailable;
        }
    }

    public async Task ReleaseAsync(string jobId, string owner, CancellationToken cancellationToken)
    {
        if (cache.Connection is not { } redis)
        {
            return;
        }

        try
        {
            await redis.GetDatabase().ScriptEvaluateAsync(ReleaseScript, [Key(jobId)], [owner]).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            MarkDown(e); // the lease expires on its own
        }
    }

    private void MarkUp()
    {
        if (Interlocked.Exchange(ref _down, 0) == 1)
        {
            logger.LogInformation("Redis job leases are back: duplicate JobIds wait for the first run again");
        }
    }

    private void MarkDown(Exception? e)
    {
        if (Interlocked.Exchange(ref _down, 1) == 0)
        {
            logger.LogWarning("Redis job leases unavailable; jobs run without a lease until it returns (a duplicate JobId may run twice): {Reason}",
                e?.Message ?? "not connected");
        }
    }
}
