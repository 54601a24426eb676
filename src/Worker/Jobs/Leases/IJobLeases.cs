namespace ComfySnap.Worker.Jobs.Leases;

public enum LeaseAttempt
{
    Acquired,
    HeldByOther,

    /// <summary>The lease store is down: the job runs without a lease.</summary>
    Unavailable,
}

public enum LeaseRenewalKind
{
    Renewed,

    /// <summary>The lease had expired and nobody had taken it or answered the job: taken again by the same run.</summary>
    Retaken,

    /// <summary>The lease expired and another run holds it now: this run is fenced.</summary>
    TakenByOther,

    /// <summary>The lease expired and another run has answered the job since: this run is fenced.</summary>
    Answered,
    Unavailable,
}

/// <summary>What a renewal found; <see cref="Holder"/> is the other owner when <see cref="LeaseRenewalKind.TakenByOther"/>.</summary>
public readonly record struct LeaseRenewal(LeaseRenewalKind Kind, string? Holder = null)
{
    /// <summary>Another run took the job over: this one must neither answer nor go on running.</summary>
    public bool IsFenced => Kind is LeaseRenewalKind.TakenByOther or LeaseRenewalKind.Answered;
}

public enum AnswerCommitKind
{
    /// <summary>The answer is stored; this run held the lease.</summary>
    Stored,

    /// <summary>The lease had expired and nobody had taken it: re-taken and the answer stored, in one step.</summary>
    Retaken,

    /// <summary>Another run holds the lease: nothing stored, this run must not answer.</summary>
    Fenced,

    /// <summary>Another run stored its answer first: nothing stored, <see cref="AnswerCommit.StoredAnswer"/> is the job's answer.</summary>
    AlreadyAnswered,

    /// <summary>The lease store is down: nothing stored (as with any cache write during an outage).</summary>
    Unavailable,
}

/// <summary>The outcome of a fenced answer write: the other holder, or the answer stored before ours (its bytes).</summary>
public readonly record struct AnswerCommit(AnswerCommitKind Kind, string? Holder = null, byte[]? StoredAnswer = null);

/// <summary>
/// One lease per JobId: whoever holds it runs the job, and only the holder may store the job's
/// answer. Owners are compared on renew, commit and release so a run never extends, answers over or
/// deletes another run's lease. Never throws for an unavailable store.
/// </summary>
public interface IJobLeases
{
    Task<LeaseAttempt> TryAcquireAsync(string jobId, string owner, TimeSpan ttl, CancellationToken cancellationToken);

    /// <summary>Extends the owner's lease, re-takes it when it expired unclaimed, or says who took the job over.</summary>
    Task<LeaseRenewal> RenewAsync(string jobId, string owner, TimeSpan ttl, CancellationToken cancellationToken);

    /// <summary>
    /// Stores the job's answer (the <c>job:{JobId}</c> record, <see cref="Caching.JobKeys"/>) in one step with the check that no
    /// answer is stored yet and that the owner still holds the lease (or nobody does: then it is re-taken).
    /// </summary>
    Task<AnswerCommit> CommitAnswerAsync(string jobId, string owner, TimeSpan ttl, ReadOnlyMemory<byte> answer, CancellationToken cancellationToken);

    Task ReleaseAsync(string jobId, string owner, CancellationToken cancellationToken);
}
