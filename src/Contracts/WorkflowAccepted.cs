namespace ComfySnap.Contracts;

/// <summary>A worker took the job.</summary>
/// <param name="JobId">The job.</param>
/// <param name="BatchId">The job's batch, if any.</param>
/// <param name="WorkerId">The worker that took it.</param>
public sealed record WorkflowAccepted(string JobId, string? BatchId, string WorkerId);
