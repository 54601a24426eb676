using ComfySnap.NodeSdk;
using ComfySnap.Diffusion.Imaging;

namespace ComfySnap.Nodes.Core;

/// <summary>
/// Unsharp-style sharpening (ComfyUI's ImageSharpen): the kernel is -alpha*10 times a gaussian
/// with its centre raised so it sums to 1; reflect padding; result clamped to 0..1.
/// </summary>
public sealed class ImageSharpen : ComfyNode
{
    public override string ClassType => "ImageSharpen";

    public override string Category => "image/postprocessing";

    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Link("image", ComfyTypes.Image),
        InputSpec.Int("sharpen_radius", 1, 1, 31),
        InputSpec.Float("sigma", 1.0, 0.1, 10.0),
        InputSpec.Float("alpha", 1.0, 0.0, 5.0),
    ];

    public override IReadOnlyList<string> Outputs { get; } = [ComfyTypes.Image];

    public override ValueTask<NodeResult> ExecuteAsync(NodeInputs inputs, NodeContext context, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var image = ImageTensors.Input(inputs, "image", context);
        var radius = (int)inputs.Int("sharpen_radius");
        if (radius == 0)
        {
            return ValueTask.FromResult(NodeResult.Of(image.alias()));
        }

        var kernel = GaussianFilter.Kernel((radius * 2) + 1, inputs.Float("sigma"), image.device) * -(inputs.Float("alpha") * 10);
        kernel[radius, radius] = kernel[radius, radius] - kernel.sum() + 1.0;
        var sharpened = GaussianFilter.ConvolveReflect(image, kernel, radius);
        return ValueTask.FromResult(NodeResult.Of(sharpened.clamp(0, 1)));
    }
}
