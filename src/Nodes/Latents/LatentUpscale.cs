using ComfySnap.NodeSdk;
using ComfySnap.Diffusion.Imaging;
using ComfySnap.Nodes.Core;

namespace ComfySnap.Nodes.Latents;

/// <summary>ComfyUI's "Upscale Latent": resize a latent to width x height pixels (0 keeps the aspect ratio from the other side).</summary>
public sealed class LatentUpscale : ComfyNode
{
    /// <summary>ComfyUI's list minus bislerp (not implemented: rejected at validation).</summary>
    public static readonly string[] Methods = ["nearest-exact", "bilinear", "area", "bicubic"];

    public override string ClassType => "LatentUpscale";

    public override string Category => "latent";

    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Link("samples", ComfyTypes.Latent),
        InputSpec.Choice("upscale_method", Methods),
        InputSpec.Int("width", 512, 0, SizeLimits.MaxResolution),
        InputSpec.Int("height", 512, 0, SizeLimits.MaxResolution),
        InputSpec.Choice("crop", ImageResize.CropMethods),
    ];

    public override IReadOnlyList<string> Outputs { get; } = [ComfyTypes.Latent];

    public override ImageSizeInputs ImageSize { get; } = new("width", "height");

    public override ValueTask<NodeResult> ExecuteAsync(NodeInputs inputs, NodeContext context, CancellationToken cancellationToken)
    {
        var latent = inputs.Get<Latent>("samples");
        var (width, height) = (inputs.Int("width"), inputs.Int("height"));
        if (width == 0 && height == 0)
        {
            return ValueTask.FromResult(NodeResult.Of(latent));
        }

        // ComfyUI: a 0 side follows the other's aspect ratio; neither goes below 64 pixels.
        var (h, w) = (latent.Samples.shape[2], latent.Samples.shape[3]);
        (width, height) = (width, height) switch
        {
            (0, _) => (Math.Max(64, (long)Math.Round(w * (double)Math.Max(64, height) / h)), Math.Max(64, height)),
            (_, 0) => (Math.Max(64, width), Math.Max(64, (long)Math.Round(h * (double)Math.Max(64, width) / w))),
            _ => (Math.Max(64, width), Math.Max(64, height)),
        };
        SizeLimits.EnsureImage(context, "the upscaled latent (in pixels)", width, height, latent.Samples.shape[0]);
        var samples = ImageResize.CommonUpscale(latent.Samples, width / 8, height / 8, inputs.String("upscale_method"), inputs.String("crop"), cancellationToken);
        return ValueTask.FromResult(NodeResult.Of(latent with { Samples = samples }));
    }
}
