using ComfySnap.NodeSdk;

namespace ComfySnap.Engine.Validation;

/// <summary>The top-level error of a rejected workflow, as in ComfyUI's answer.</summary>
public sealed record WorkflowError(string Type, string Message, string Details);

/// <summary>Every problem of one node (ComfyUI's node_errors entry).</summary>
public sealed record NodeErrorReport(string ClassType, IReadOnlyList<NodeValidationError> Errors);

/// <summary>The result of validating a workflow: everything wrong with it at once, plus warnings.</summary>
public sealed record ValidationReport(
    WorkflowError? Error,
    IReadOnlyDictionary<string, NodeErrorReport> NodeErrors,
    IReadOnlyList<string> Warnings)
{
    public bool IsValid => Error is null;

    /// <summary>True when some error is a configured limit (nodes, pixels, batch, steps).</summary>
    public bool ExceedsLimits => Error?.Type == ValidationErrorTypes.LimitExceeded || AllErrors.Any(e => e.Type == ValidationErrorTypes.LimitExceeded);

    /// <summary>True when the only problems are model names the store does not have.</summary>
    public bool OnlyModelsMissing => NodeErrors.Count > 0 && AllErrors.All(e => e.Type == ValidationErrorTypes.ModelNotFound);

    public IEnumerable<NodeValidationError> AllErrors => NodeErrors.Values.SelectMany(n => n.Errors);

    /// <summary>A one-paragraph summary for logs and exceptions.</summary>
    public string Describe() => Error is null
        ? "valid"
        : $"{Error.Message}: " + string.Join("; ", NodeErrors.Select(n =>
            $"node {n.Key} ({n.Value.ClassType}): " + string.Join(", ", n.Value.Errors.Select(e => $"{e.Type} {e.Message}"))))
          + (NodeErrors.Count == 0 ? Error.Details : "");
}
