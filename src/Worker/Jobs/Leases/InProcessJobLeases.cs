using System.Collections.Concurrent;

namespace ComfySnap.Worker.Jobs.Leases;

/// <summary>Leases for a worker without Redis: only this process can hold one, so they guard its own concurrent messages.</summary>
public sealed class InProcessJobLeases(TimeProvider time) : IJobLeases
{
    private readonly ConcurrentDictionary<string, (string Owner, DateTimeOffset Expires)> _leases = new(StringComparer.Ordinal);

    public Task<LeaseAttempt> TryAcquireAsync(string jobId, string owner, TimeSpan ttl, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        while (true)
        {
            if (_leases.TryAdd(jobId, (owner, now + ttl)))
            {
                return Task.FromResult(LeaseAttempt.Acquired);
            }

            if (_leases.TryGetValue(jobId, out var held))
            {
                if (held.Expires > now)
                {
                    return Task.FromResult(LeaseAttempt.HeldByOther);
                }

                if (_leases.TryUpdate(jobId, (owner, now + ttl), held))
                {
                    return Task.FromResult(LeaseAttempt.Acquired);
                }
            }
        }
    }

    public Task<LeaseRenewal> RenewAsync(string jobId, string owner, TimeSpan ttl, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        return Task.FromResult(_leases.TryGetValue(jobId, out var held) && held.Owner == owner && held.Expires > now
            && _leases.TryUpdate(jobId, (owner, now + ttl), held) ? LeaseRenewal.Renewed : LeaseRenewal.Lost);
    }

    public Task ReleaseAsync(string jobId, string owner, CancellationToken cancellationToken)
    {
        if (_leases.TryGetValue(jobId, out var held) && held.Owner == owner)
        {
            _leases.TryRemove(new KeyValuePair<string, (string, DateTimeOffset)>(jobId, held));
        }

        return Task.CompletedTask;
    }
}
