using Microsoft.Extensions.Logging;

namespace ComfySnap.NodeSdk;

/// <summary>What a running node may use: models, folders, the device, progress and a logger.</summary>
public sealed class NodeContext(
    string nodeId,
    IModelStore models,
    IWorkspace workspace,
    IDeviceService device,
    Action<int, int> reportProgress,
    ILogger logger)
{
    public string NodeId { get; } = nodeId;

    public IModelStore Models { get; } = models;

    public IWorkspace Workspace { get; } = workspace;

    public IDeviceService Device { get; } = device;

    public ILogger Logger { get; } = logger;

    /// <summary>The engine's limits, for sizes only known from tensors at run time (see <see cref="LimitExceededException"/>).</summary>
    public EngineLimits Limits { get; init; } = new();

    /// <summary>Reports progress inside a long node (step of total).</summary>
    public void ReportProgress(int step, int total) => reportProgress(step, total);
}

/// <summary>What validation-time checks may look at: limits and the file resolvers.</summary>
public sealed record NodeValidationContext(EngineLimits Limits, IModelStore Models, IWorkspace Workspace);

/// <summary>One problem found in a node's inputs, shaped like an entry of ComfyUI's node_errors.</summary>
public sealed record NodeValidationError(string Type, string Message, string Details, string? InputName);
