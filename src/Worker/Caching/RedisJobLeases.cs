using ComfySnap.Worker.Jobs.Leases;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace ComfySnap.Worker.Caching;

/// <summary>
/// Job leases in Redis on the output cache's connection: SET NX PX to take one, Lua scripts to
/// renew (compare-and-extend), to store the job's answer only while holding it (fencing) and to
/// release it (compare-and-delete). Fails fast while Redis is down
/// (<see cref="LeaseAttempt.Unavailable"/>), logging one warning per outage. Each script touches one
/// JobId's keys only, which share a hash tag (<see cref="JobKeys"/>): one slot on Redis Cluster.
/// With Jobs:LeaseReplicas above 0, a lease taken or re-taken and an answer stored are followed by
/// WAIT on the same connection (<see cref="ReplicaAcknowledgement"/>), so a failover to a replica
/// finds them.
/// </summary>
public sealed class RedisJobLeases(RedisOutputCache cache, ResultStore results, IOptions<CacheOptions> options, IOptions<JobOptions> jobs,
    ReplicaAcknowledgement replicas, ILogger<RedisJobLeases> logger) : IJobLeases
{
    // KEYS: lease, answer. ARGV: owner, lease TTL (ms). A lease that expired unclaimed is re-taken;
    // one that someone else took, or whose job someone else answered, fences this run.
    private const string RenewScript = """
        local holder = redis.call('get', KEYS[1])
        if holder == ARGV[1] then redis.call('pexpire', KEYS[1], ARGV[2]) return {'renewed'} end
        if redis.call('exists', KEYS[2]) == 1 then return {'answered'} end
        if not holder then redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2]) return {'retaken'} end
        return {'taken', holder}
        """;

    // KEYS: lease, answer. ARGV: owner, answer, answer TTL (ms), lease TTL (ms). The first answer
    // wins; only the lease holder (or, when nobody holds it, the run that re-takes it) may store one.
    private const string CommitScript = """
        local stored = redis.call('get', KEYS[2])
        if stored then return {'answered', stored} end
        local holder = redis.call('get', KEYS[1])
        if holder and holder ~= ARGV[1] then return {'fenced', holder} end
        redis.call('set', KEYS[2], ARGV[2], 'PX', ARGV[3])
        if holder then return {'stored'} end
        redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[4])
        return {'retaken'}
        """;

    private const string ReleaseScript = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";
    private int _down;

    public string Key(string jobId) => JobKeys.Lease(options.Value.KeyPrefix, jobId);

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
            if (taken)
            {
                await ReplicateAsync(redis, jobId, cancellationToken).ConfigureAwait(false);
            }

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
            return new LeaseRenewal(LeaseRenewalKind.Unavailable);
        }

        try
        {
            var reply = (RedisResult[])(await redis.GetDatabase().ScriptEvaluateAsync(RenewScript, [Key(jobId), results.CompletedJobKey(jobId)],
                [owner, (long)ttl.TotalMilliseconds]).WaitAsync(cancellationToken).ConfigureAwait(false))!;
            MarkUp();
            if ((string?)reply[0] == "retaken")
            {
                await ReplicateAsync(redis, jobId, cancellationToken).ConfigureAwait(false);
            }

            return (string?)reply[0] switch
            {
                "renewed" => new LeaseRenewal(LeaseRenewalKind.Renewed),
                "retaken" => new LeaseRenewal(LeaseRenewalKind.Retaken),
                "answered" => new LeaseRenewal(LeaseRenewalKind.Answered),
                _ => new LeaseRenewal(LeaseRenewalKind.TakenByOther, (string?)reply[1]),
            };
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            MarkDown(e);
            return new LeaseRenewal(LeaseRenewalKind.Unavailable);
        }
    }

    public async Task<AnswerCommit> CommitAnswerAsync(string jobId, string owner, TimeSpan ttl, ReadOnlyMemory<byte> answer, CancellationToken cancellationToken)
    {
        if (cache.Connection is not { } redis)
        {
            return new AnswerCommit(AnswerCommitKind.Unavailable);
        }

        try
        {
            var reply = (RedisResult[])(await redis.GetDatabase().ScriptEvaluateAsync(CommitScript, [Key(jobId), results.CompletedJobKey(jobId)],
                [owner, answer, (long)results.Ttl.TotalMilliseconds, (long)ttl.TotalMilliseconds]).WaitAsync(cancellationToken).ConfigureAwait(false))!;
            MarkUp();
            if ((string?)reply[0] is "stored" or "retaken")
            {
                // Before the answer is published: a failover must not forget an answer a client has.
                await ReplicateAsync(redis, jobId, cancellationToken).ConfigureAwait(false);
            }

            return (string?)reply[0] switch
            {
                "stored" => new AnswerCommit(AnswerCommitKind.Stored),
                "retaken" => new AnswerCommit(AnswerCommitKind.Retaken),
                "answered" => new AnswerCommit(AnswerCommitKind.AlreadyAnswered, StoredAnswer: (byte[]?)reply[1]),
                _ => new AnswerCommit(AnswerCommitKind.Fenced, Holder: (string?)reply[1]),
            };
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            MarkDown(e);
            return new AnswerCommit(AnswerCommitKind.Unavailable);
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

    private async Task ReplicateAsync(IConnectionMultiplexer redis, string jobId, CancellationToken cancellationToken)
    {
        if (jobs.Value.LeaseReplicas > 0)
        {
            await replicas.WaitAsync(redis, Key(jobId), jobs.Value.LeaseReplicas, jobs.Value.LeaseReplicaTimeout, cancellationToken).ConfigureAwait(false);
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
