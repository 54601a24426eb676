using ComfySnap.NodeSdk;

namespace ComfySnap.Engine.Catalog;

/// <summary>
/// What validation and /object_info know of a node type, without its code: inputs (required
/// first, as ComfyUI lists them), outputs, category, output node, declared size checks. Workers
/// make it from the registered nodes; the gateway reads it from the published catalog.
/// </summary>
public sealed record NodeSpec(
    string ClassType,
    string Category,
    IReadOnlyList<InputSpec> Inputs,
    IReadOnlyList<string> Outputs,
    bool IsOutputNode,
    ImageSizeInputs? ImageSize)
{
    public static NodeSpec Of(ComfyNode node) => new(
        node.ClassType,
        node.Category,
        [.. node.Inputs.Where(i => i.Required), .. node.Inputs.Where(i => !i.Required)],
        node.Outputs,
        node.IsOutputNode,
        node.ImageSize);
}
