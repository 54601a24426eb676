namespace ComfySnap.Contracts;

/// <summary>A job finished; its outputs.</summary>
/// <param name="JobId">The job.</param>
/// <param name="BatchId">The job's batch, if any.</param>
/// <param name="Outputs">Every output file.</param>
/// <param name="FromCache">True when answered from the output cache without running.</param>
/// <param name="Timings">Where the time went.</param>
public sealed record WorkflowCompleted(
    string JobId,
    string? BatchId,
    IReadOnlyList<OutputFile> Outputs,
    bool FromCache,
    JobTimings Timings);
