namespace ComfySnap.Contracts;

/// <summary>A job failed.</summary>
/// <param name="JobId">The job.</param>
/// <param name="BatchId">The job's batch, if any.</param>
/// <param name="Kind">Why.</param>
/// <param name="Message">Human-readable reason.</param>
/// <param name="NodeErrors">Per-node problems keyed by node id (ComfyUI's <c>node_errors</c>).</param>
/// <param name="CompletedNodes">Nodes that finished before the failure.</param>
/// <param name="Retryable">True when sending the same job again may succeed.</param>
public sealed record WorkflowFailed(
    string JobId,
    string? BatchId,
    FailureKind Kind,
    string Message,
    IReadOnlyDictionary<string, NodeError> NodeErrors,
    IReadOnlyList<string> CompletedNodes,
    bool Retryable);
