using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace ComfySnap.Worker.Caching;

/// <summary>
/// Redis WAIT after a lease or answer write: blocks until that many replicas hold this connection's
/// writes so far, or the timeout. It runs on the server that owns the key (the primary; on Redis
/// Cluster the slot's primary) over the connection the write went through, since WAIT counts that
/// connection's own writes. Too few acknowledgements are not an error (the write is on the primary
/// and the job goes on): one warning until the replicas catch up, because a failover in that window
/// would lose the write.
/// </summary>
public sealed class ReplicaAcknowledgement(ILogger<ReplicaAcknowledgement> logger)
{
    private int _behind;

    /// <returns>How many replicas acknowledged; 0 when the WAIT itself failed (the write stands either way).</returns>
    public async Task<long> WaitAsync(IConnectionMultiplexer redis, RedisKey key, int replicas, TimeSpan timeout, CancellationToken cancellationToken)
    {
        long acknowledged;
        try
        {
            acknowledged = await redis.GetDatabase().IdentifyEndpointAsync(key).WaitAsync(cancellationToken).ConfigureAwait(false) is { } endpoint
                ? (long)await redis.GetServer(endpoint).ExecuteAsync("WAIT", replicas, (long)timeout.TotalMilliseconds).WaitAsync(cancellationToken).ConfigureAwait(false)
                : 0;
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            acknowledged = 0;
        }

        if (acknowledged >= replicas)
        {
            if (Interlocked.Exchange(ref _behind, 0) == 1)
            {
                logger.LogInformation("Redis replicas acknowledge job leases again");
            }
        }
        else if (Interlocked.Exchange(ref _behind, 1) == 0)
        {
            logger.LogWarning("Only {Acknowledged} of {Replicas} Redis replica(s) acknowledged a job lease within {Timeout}: until they do, a failover may forget a lease or answer and run a JobId twice",
                acknowledged, replicas, timeout);
        }

        return acknowledged;
    }
}
