namespace ComfySnap.Worker.Jobs.Leases;

public enum LeaseAttempt
{
    Acquired,
    HeldByOther,

    /// <summary>The lease store is down: the job runs without a lease.</summary>
    Unavailable,
}

public enum LeaseRenewal
{
    Renewed,

    /// <summary>The lease expired and someone else holds it (or nobody does).</summary>
    Lost,
    Unavailable,
}

/// <summary>
/// One lease per JobId: whoever holds it runs the job. Owners are compared on renew and release so
/// a run never extends or deletes another run's lease. Never throws for an unavailable store.
/// </summary>
public interface IJobLeases
{
    Task<LeaseAttempt> TryAcquireAsync(string jobId, string owner, TimeSpan ttl, CancellationToken cancellationToken);

    Task<LeaseRenewal> RenewAsync(string jobId, string owner, TimeSpan ttl, CancellationToken cancellationToken);

    Task ReleaseAsync(string jobId, string owner, CancellationToken cancellationToken);
}
