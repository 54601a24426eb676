using ComfySnap.NodeSdk;
using ComfySnap.Diffusion.Imaging;

namespace ComfySnap.Nodes.Core;

/// <summary>Resizes by a factor, sides rounded like Python's round (ComfyUI's ImageScaleBy).</summary>
public sealed class ImageScaleBy : ComfyNode
{
    public override string ClassType => "ImageScaleBy";

    public override string Category => "image/upscaling";

    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Link("image", ComfyTypes.Image),
        InputSpec.Choice("upscale_method", ImageResize.Methods),
        InputSpec.Float("scale_by", 1.0, 0.01, 8.0),
    ];

    public override IReadOnlyList<string> Outputs { get; } = [ComfyTypes.Image];

    public override ValueTask<NodeResult> ExecuteAsync(NodeInputs inputs, NodeContext context, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var image = ImageTensors.Input(inputs, "image", context);
        var scaleBy = inputs.Float("scale_by");
        var samples = image.movedim([-1], [1]);
        var width = (long)Math.Round(samples.shape[3] * scaleBy);
        var height = (long)Math.Round(samples.shape[2] * scaleBy);

        // The image size is only known now, so the validation-time limits cannot catch this.
        SizeLimits.EnsureImage(context, "the scaled image", width, height, samples.shape[0]);
        var scaled = ImageResize.CommonUpscale(samples, width, height, inputs.String("upscale_method"), "disabled", cancellationToken);
        return ValueTask.FromResult(NodeResult.Of(scaled.movedim([1], [-1]).contiguous()));
    }
}
