using ComfySnap.NodeSdk;
using ComfySnap.Diffusion.Imaging;

namespace ComfySnap.Nodes.Core;

/// <summary>Gaussian blur with a (2r+1)^2 kernel and reflect padding (ComfyUI's ImageBlur).</summary>
public sealed class ImageBlur : ComfyNode
{
    public override string ClassType => "ImageBlur";

    public override string Category => "image/postprocessing";

    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Link("image", ComfyTypes.Image),
        InputSpec.Int("blur_radius", 1, 1, 31),
        InputSpec.Float("sigma", 1.0, 0.1, 10.0),
    ];

    public override IReadOnlyList<string> Outputs { get; } = [ComfyTypes.Image];

    public override ValueTask<NodeResult> ExecuteAsync(NodeInputs inputs, NodeContext context, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var image = ImageTensors.Input(inputs, "image", context);
        var radius = (int)inputs.Int("blur_radius");
        if (radius == 0)
        {
            return ValueTask.FromResult(NodeResult.Of(image.alias()));
        }

        var kernel = GaussianFilter.Kernel((radius * 2) + 1, inputs.Float("sigma"), image.device);
        return ValueTask.FromResult(NodeResult.Of(GaussianFilter.ConvolveReflect(image, kernel, radius)));
    }
}
