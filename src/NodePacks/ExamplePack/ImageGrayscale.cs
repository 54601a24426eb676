using ComfySnap.NodeSdk;
using TorchSharp;

namespace ComfySnap.ExamplePack;

/// <summary>Converts an IMAGE to grayscale (ITU-R BT.601 luma), kept as 3 channels.</summary>
public sealed class ImageGrayscale : ComfyNode
{
    public override string ClassType => "ImageGrayscale";

    public override string Category => "example/image";

    public override IReadOnlyList<InputSpec> Inputs { get; } = [InputSpec.Link("image", ComfyTypes.Image)];

    public override IReadOnlyList<string> Outputs { get; } = [ComfyTypes.Image];

    public override ValueTask<NodeResult> ExecuteAsync(NodeInputs inputs, NodeContext context, CancellationToken cancellationToken)
    {
        var image = inputs.Tensor("image");
        var weights = torch.tensor(new[] { 0.299f, 0.587f, 0.114f }, device: image.device);
        var luma = image[.., .., .., ..3].matmul(weights).unsqueeze(-1);
        return ValueTask.FromResult(NodeResult.Of(luma.expand(-1, -1, -1, 3).contiguous()));
    }
}
