namespace ComfySnap.Contracts;

/// <summary>Cancels one job, running or still queued (published: every worker hears it).</summary>
/// <param name="JobId">The job to cancel.</param>
public sealed record CancelWorkflow(string JobId);
