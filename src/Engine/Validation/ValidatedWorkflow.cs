using ComfySnap.Engine.Catalog;
using ComfySnap.Engine.Graph;

namespace ComfySnap.Engine.Validation;

/// <summary>A workflow that passed validation: node specs, converted literals, run order.</summary>
public sealed record ValidatedWorkflow(
    Workflow Workflow,
    IReadOnlyDictionary<string, NodeSpec> Definitions,
    IReadOnlyDictionary<string, IReadOnlyDictionary<string, object?>> Literals,
    IReadOnlyList<string> ExecutionOrder,
    IReadOnlyList<string> OutputNodeIds,
    IReadOnlyList<string> Warnings);
