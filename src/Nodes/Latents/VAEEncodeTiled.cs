using ComfySnap.NodeSdk;
using ComfySnap.Diffusion.Models.StableDiffusion;
using ComfySnap.Diffusion.Models.StableDiffusion.Vae;

namespace ComfySnap.Nodes.Latents;

/// <summary>ComfyUI's "VAE Encode (Tiled)": IMAGE to LATENT in overlapping tiles, for images too large to encode at once.</summary>
public sealed class VAEEncodeTiled : ComfyNode
{
    public override string ClassType => "VAEEncodeTiled";

    public override string Category => "_for_testing";

    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Link("pixels", ComfyTypes.Image),
        InputSpec.Link("vae", ComfyTypes.Vae),
        .. TiledVaeInputs.Tiling,
    ];

    public override IReadOnlyList<string> Outputs { get; } = [ComfyTypes.Latent];

    public override ValueTask<NodeResult> ExecuteAsync(NodeInputs inputs, NodeContext context, CancellationToken cancellationToken)
    {
        var vae = inputs.Get<AutoencoderKl>("vae");
        var pixels = VaeImages.CropToMultiple(inputs.Tensor("pixels"), vae.Config.DownscaleRatio);
        var overlap = TiledVaeInputs.Overlap(inputs);
        var latent = TiledVaeEncode.Encode(vae, pixels, (int)TiledVaeInputs.TileSize(inputs), (int)overlap, context.ReportProgress, cancellationToken);
        return ValueTask.FromResult(NodeResult.Of(new Latent(latent)));
    }
}
