namespace ComfySnap.Engine.Graph;

/// <summary>One node of a workflow in ComfyUI's API format.</summary>
public sealed record WorkflowNode(string Id, string ClassType, IReadOnlyDictionary<string, WorkflowInput> Inputs);
