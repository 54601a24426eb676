namespace ComfySnap.Contracts;

/// <summary>Progress of a running job: which node, and inside it which step of how many.</summary>
/// <param name="JobId">The job.</param>
/// <param name="NodeId">The running node's id in the submitted workflow.</param>
/// <param name="ClassType">The running node's class_type.</param>
/// <param name="NodeIndex">Position of the node in the run order (0-based).</param>
/// <param name="NodeCount">Number of nodes that run.</param>
/// <param name="Step">Step inside the node.</param>
/// <param name="Total">Steps of the node.</param>
public sealed record WorkflowProgress(string JobId, string NodeId, string ClassType, int NodeIndex, int NodeCount, int Step, int Total);
