using ComfySnap.Worker.Caching;

namespace ComfySnap.Worker.Jobs.Leases;

/// <summary>
/// Leases for a worker without Redis: only this process can hold one, so they guard its own
/// concurrent messages. Answers go to the in-process output cache.
/// </summary>
public sealed class InProcessJobLeases(TimeProvider time, IOutputCache cache, ResultStore results) : IJobLeases
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, (string Owner, DateTimeOffset Expires)> _leases = new(StringComparer.Ordinal);

    public Task<LeaseAttempt> TryAcquireAsync(string jobId, string owner, TimeSpan ttl, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (HolderLocked(jobId) is not null)
            {
                return Task.FromResult(LeaseAttempt.HeldByOther);
            }

            _leases[jobId] = (owner, time.GetUtcNow() + ttl);
            return Task.FromResult(LeaseAttempt.Acquired);
        }
    }

    public async Task<LeaseRenewal> RenewAsync(string jobId, string owner, TimeSpan ttl, CancellationToken cancellationToken)
    {
        var (holder, taken) = TakeUnlessHeldByOther(jobId, owner, ttl);
        if (holder is not null)
        {
            return new LeaseRenewal(LeaseRenewalKind.TakenByOther, holder);
        }

        if (!taken)
        {
            return new LeaseRenewal(LeaseRenewalKind.Renewed);
        }

        return await cache.GetAsync(results.CompletedJobKey(jobId), cancellationToken).ConfigureAwait(false) is null
            ? new LeaseRenewal(LeaseRenewalKind.Retaken)
            : new LeaseRenewal(LeaseRenewalKind.Answered);
    }

    // One process: a stall stops every run in it, so the lease check and the answer's store need not be one step.
    public async Task<AnswerCommit> CommitAnswerAsync(string jobId, string owner, TimeSpan ttl, ReadOnlyMemory<byte> answer, CancellationToken cancellationToken)
    {
        var key = results.CompletedJobKey(jobId);
        if (await cache.GetAsync(key, cancellationToken).ConfigureAwait(false) is { } stored)
        {
            return new AnswerCommit(AnswerCommitKind.AlreadyAnswered, StoredAnswer: stored);
        }

        var (holder, taken) = TakeUnlessHeldByOther(jobId, owner, ttl);
        if (holder is not null)
        {
            return new AnswerCommit(AnswerCommitKind.Fenced, holder);
        }

        await cache.SetAsync(key, answer, results.Ttl, cancellationToken).ConfigureAwait(false);
        return new AnswerCommit(taken ? AnswerCommitKind.Retaken : AnswerCommitKind.Stored);
    }

    public Task ReleaseAsync(string jobId, string owner, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_leases.TryGetValue(jobId, out var held) && held.Owner == owner)
            {
                _leases.Remove(jobId);
            }
        }

        return Task.CompletedTask;
    }

    // Extends the owner's lease, or takes it when nobody holds it (taken: true); else names the holder.
    private (string? Holder, bool Taken) TakeUnlessHeldByOther(string jobId, string owner, TimeSpan ttl)
    {
        lock (_lock)
        {
            var holder = HolderLocked(jobId);
            if (holder is not null && holder != owner)
            {
                return (holder, false);
            }

            _leases[jobId] = (owner, time.GetUtcNow() + ttl);
            return (null, holder is null);
        }
    }

    private string? HolderLocked(string jobId) =>
        _leases.TryGetValue(jobId, out var held) && held.Expires > time.GetUtcNow() ? held.Owner : null;
}
