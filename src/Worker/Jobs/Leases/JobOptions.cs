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
}
