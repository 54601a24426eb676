using System.Text.Json;

namespace ComfySnap.Engine.Graph;

/// <summary>A node input as written in the workflow: a link to another node's output, or a literal.</summary>
public abstract record WorkflowInput
{
    private WorkflowInput()
    {
    }

    /// <summary>`["&lt;node id&gt;", &lt;output index&gt;]`.</summary>
    public sealed record Link(string NodeId, int OutputIndex) : WorkflowInput;

    /// <summary>Any other JSON value.</summary>
    public sealed record Literal(JsonElement Value) : WorkflowInput;
}
