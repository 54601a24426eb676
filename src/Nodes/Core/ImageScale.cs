using ComfySnap.NodeSdk;
using ComfySnap.Diffusion.Imaging;

namespace ComfySnap.Nodes.Core;

/// <summary>Resizes to width x height; 0 on one side keeps the aspect ratio (ComfyUI's ImageScale).</summary>
public sealed class ImageScale : ComfyNode
{
    public override string ClassType => "ImageScale";

    public override string Category => "image/upscaling";

    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Link("image", ComfyTypes.Image),
        InputSpec.Choice("upscale_method", ImageResize.Methods),
        InputSpec.Int("width", 512, 0, SizeLimits.MaxResolution),
        InputSpec.Int("height", 512, 0, SizeLimits.MaxResolution),
        InputSpec.Choice("crop", ImageResize.CropMethods),
    ];

    public override IReadOnlyList<string> Outputs { get; } = [ComfyTypes.Image];

    public override ImageSizeInputs ImageSize { get; } = new("width", "height");

    public override ValueTask<NodeResult> ExecuteAsync(NodeInputs inputs, NodeContext context, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var image = ImageTensors.Input(inputs, "image", context);
        var (width, height) = (inputs.Int("width"), inputs.Int("height"));
        if (width == 0 && height == 0)
        {
            return ValueTask.FromResult(NodeResult.Of(image.alias()));
        }

        var samples = image.movedim([-1], [1]);
        var (oldHeight, oldWidth) = (samples.shape[2], samples.shape[3]);

        // Python's round (half to even) of the true quotient, at least 1.
        if (width == 0)
        {
            width = Math.Max(1, (long)Math.Round((double)(oldWidth * height) / oldHeight));
        }
        else if (height == 0)
        {
            height = Math.Max(1, (long)Math.Round((double)(oldHeight * width) / oldWidth));
        }

        SizeLimits.EnsureImage(context, "the scaled image", width, height, samples.shape[0]);
        var scaled = ImageResize.CommonUpscale(samples, width, height, inputs.String("upscale_method"), inputs.String("crop"), cancellationToken);
        return ValueTask.FromResult(NodeResult.Of(scaled.movedim([1], [-1]).contiguous()));
    }
}
