using ComfySnap.NodeSdk;
using ComfySnap.Worker.Models.Diffusion;
using ComfySnap.Worker.Models.Diffusion.Vae;

namespace ComfySnap.Worker.Nodes.Latents;

/// <summary>ComfyUI's "VAE Encode (Tiled)": IMAGE to LATENT in overlapping tiles, for images too large to encode at once.</summary>
public sealed class VAEEncodeTiled : ComfyNode
{
    public override string ClassType => "VAEEncodeTiled";

    public override string Category => "_for_testing";

    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Link("pixels", ComfyTypes.Image),
        InputSpec.Link("vae", ComfyTypes.Vae),
        InputSpec.Int("tile_size", 512, 64, 4096),
        InputSpec.Int("overlap", 64, 0, 4096).AsOptional(),
        InputSpec.Int("temporal_size", 64, 8, 4096).AsOptional(),
        InputSpec.Int("temporal_overlap", 8, 4, 4096).AsOptional(),
    ];

    public override IReadOnlyList<string> Outputs { get; } = [ComfyTypes.Latent];

    public override ValueTask<NodeResult> ExecuteAsync(NodeInputs inputs, NodeContext context, CancellationToken cancellationToken)
    {
        var vae = inputs.Get<AutoencoderKl>("vae");
        var pixels = VaeImages.CropToMultiple(inputs.Tensor("pixels"), vae.Config.DownscaleRatio);
        var overlap = inputs.Has("overlap") ? inputs.Int("overlap") : 64;
        var latent = TiledVaeEncode.Encode(vae, pixels, (int)inputs.Int("tile_size"), (int)overlap, context.ReportProgress, cancellationToken);
        return ValueTask.FromResult(NodeResult.Of(new Latent(latent)));
    }
}
