using ComfySnap.NodeSdk;

namespace ComfySnap.Engine.Execution;

/// <summary>Progress of a running workflow: which node, and inside it which step of how many.</summary>
public sealed record ExecutionProgress(string NodeId, string ClassType, int NodeIndex, int NodeCount, int Step, int Total);

/// <summary>How long one node took, and whether its outputs came from the node cache.</summary>
public sealed record NodeTiming(string NodeId, string ClassType, double Milliseconds, bool CacheHit);

/// <summary>A file produced by an output node.</summary>
public sealed record WorkflowOutput(string NodeId, OutputArtifact Artifact);

/// <summary>The outcome of a successful run.</summary>
public sealed record ExecutionResult(IReadOnlyList<WorkflowOutput> Outputs, IReadOnlyList<NodeTiming> Timings, double TotalMilliseconds)
{
    public int CacheHits => Timings.Count(t => t.CacheHit);
}

/// <summary>A node threw while running; carries which node and which nodes had completed.</summary>
public sealed class NodeExecutionException(string nodeId, string classType, IReadOnlyList<string> completedNodes, Exception inner)
    : Exception($"Node {nodeId} ({classType}) failed: {inner.Message}", inner)
{
    public string NodeId { get; } = nodeId;

    public string ClassType { get; } = classType;

    public IReadOnlyList<string> CompletedNodes { get; } = completedNodes;
}

/// <summary>The run was cancelled; says which nodes had completed.</summary>
public sealed class WorkflowCancelledException(IReadOnlyList<string> completedNodes, CancellationToken token)
    : OperationCanceledException($"Workflow cancelled after {completedNodes.Count} node(s)", token)
{
    public IReadOnlyList<string> CompletedNodes { get; } = completedNodes;
}
