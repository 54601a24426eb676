using ComfySnap.NodeSdk;
using ComfySnap.Diffusion.Imaging;

namespace ComfySnap.Nodes.Latents;

/// <summary>ComfyUI's "Upscale Latent By": resize a latent by a factor (hires-fix workflows).</summary>
public sealed class LatentUpscaleBy : ComfyNode
{
    public override string ClassType => "LatentUpscaleBy";

    public override string Category => "latent";

    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Link("samples", ComfyTypes.Latent),
        InputSpec.Choice("upscale_method", LatentUpscale.Methods),
        InputSpec.Float("scale_by", 1.5, 0.01, 8.0),
    ];

    public override IReadOnlyList<string> Outputs { get; } = [ComfyTypes.Latent];

    public override ValueTask<NodeResult> ExecuteAsync(NodeInputs inputs, NodeContext context, CancellationToken cancellationToken)
    {
        var latent = inputs.Get<Latent>("samples");
        var scale = inputs.Float("scale_by");
        var width = (long)Math.Round(latent.Samples.shape[3] * scale);
        var height = (long)Math.Round(latent.Samples.shape[2] * scale);
        Core.SizeLimits.EnsureImage(context, "the upscaled latent (in pixels)", width * 8, height * 8, latent.Samples.shape[0]);
        var samples = ImageResize.CommonUpscale(latent.Samples, width, height, inputs.String("upscale_method"), "disabled", cancellationToken);
        return ValueTask.FromResult(NodeResult.Of(latent with { Samples = samples }));
    }
}
