namespace ComfySnap.Engine.Graph;

/// <summary>The workflow text is not a ComfyUI API-format graph (bad JSON or wrong shape).</summary>
public sealed class WorkflowParseException(string message, string details) : Exception(message)
{
    /// <summary>Where it went wrong, e.g. "line 3, position 17" or "node '4': missing class_type".</summary>
    public string Details { get; } = details;
}
