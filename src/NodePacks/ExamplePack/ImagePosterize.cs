using ComfySnap.NodeSdk;
using TorchSharp;

namespace ComfySnap.ExamplePack;

/// <summary>Reduces each channel to a number of levels.</summary>
public sealed class ImagePosterize : ComfyNode
{
    public override string ClassType => "ImagePosterize";

    public override string Category => "example/image";

    public override IReadOnlyList<InputSpec> Inputs { get; } =
        [InputSpec.Link("image", ComfyTypes.Image), InputSpec.Int("levels", 4, 2, 256)];

    public override IReadOnlyList<string> Outputs { get; } = [ComfyTypes.Image];

    public override ValueTask<NodeResult> ExecuteAsync(NodeInputs inputs, NodeContext context, CancellationToken cancellationToken)
    {
        var steps = inputs.Int("levels") - 1;
        var image = inputs.Tensor("image");
        return ValueTask.FromResult(NodeResult.Of(torch.round(image * steps) / steps));
    }
}
