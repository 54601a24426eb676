using System.ComponentModel.DataAnnotations;

namespace ComfySnap.Worker.Jobs.Leases;

/// <summary>The per-JobId run lease. Bound from the "Jobs" configuration section.</summary>
public sealed class JobOptions
{
    public const string SectionName = "Jobs";

    /// <summary>How long a run's lease lives without renewal (renewed every third of it while the job runs).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan LeaseTtl { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Longest pause between two looks for the answer of a run holding the lease (backoff from 50 ms).</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan LeasePollMax { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Replicas that must acknowledge a lease or an answer (Redis WAIT) before the job runs or is
    /// answered; 0: no WAIT (a single Redis). 1 with a Sentinel-watched primary and its replica.
    /// </summary>
    [Range(0, 16)]
    public int LeaseReplicas { get; set; }

    /// <summary>How long one WAIT may hold the connection; fewer acknowledgements by then are logged and the job goes on.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:00:10")]
    public TimeSpan LeaseReplicaTimeout { get; set; } = TimeSpan.FromMilliseconds(250);
}
