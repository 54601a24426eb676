using ComfySnap.NodeSdk;

namespace ComfySnap.Nodes.Core;

/// <summary>1 - image (ComfyUI's ImageInvert).</summary>
public sealed class ImageInvert : ComfyNode
{
    public override string ClassType => "ImageInvert";

    public override string Category => "image";

    public override IReadOnlyList<InputSpec> Inputs { get; } = [InputSpec.Link("image", ComfyTypes.Image)];

    public override IReadOnlyList<string> Outputs { get; } = [ComfyTypes.Image];

    public override ValueTask<NodeResult> ExecuteAsync(NodeInputs inputs, NodeContext context, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var image = ImageTensors.Input(inputs, "image", context);
        return ValueTask.FromResult(NodeResult.Of((1.0 - image).contiguous()));
    }
}
