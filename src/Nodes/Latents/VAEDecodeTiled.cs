using ComfySnap.NodeSdk;
using ComfySnap.Diffusion.Models;
using ComfySnap.Diffusion.Models.StableDiffusion;
using ComfySnap.Diffusion.Models.StableDiffusion.Vae;
using static TorchSharp.torch;

namespace ComfySnap.Nodes.Latents;

/// <summary>
/// ComfyUI's "VAE Decode (Tiled)": decodes overlapping latent tiles and blends them, so large
/// images decode in bounded memory. One pass of square tiles (ComfyUI averages three passes of
/// differently shaped tiles: the seams differ slightly from ComfyUI's).
/// </summary>
public sealed class VAEDecodeTiled : ComfyNode
{
    public override string ClassType => "VAEDecodeTiled";

    public override string Category => "_for_testing";

    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Link("samples", ComfyTypes.Latent),
        InputSpec.Link("vae", ComfyTypes.Vae),
        .. TiledVaeInputs.Tiling,
    ];

    public override IReadOnlyList<string> Outputs { get; } = [ComfyTypes.Image];

    public override ValueTask<NodeResult> ExecuteAsync(NodeInputs inputs, NodeContext context, CancellationToken cancellationToken)
    {
        var vae = inputs.Get<AutoencoderKl>("vae");
        var ratio = vae.Config.DownscaleRatio;
        var tileSize = TiledVaeInputs.TileSize(inputs);
        var overlap = TiledVaeInputs.Overlap(inputs);
        if (tileSize < overlap * 4)
        {
            overlap = tileSize / 4;
        }

        var tile = (int)Math.Max(2, tileSize / ratio);
        var latentOverlap = (int)Math.Min(tile - 1, overlap / ratio);
        using var scope = NewDisposeScope();
        var samples = inputs.Get<Latent>("samples").Samples.to_type(ScalarType.Float32);
        var decoded = TiledScale.Run(samples, vae.Decode, ratio, (int)vae.Config.OutChannels, tile, latentOverlap, context.ReportProgress, cancellationToken);
        return ValueTask.FromResult(NodeResult.Of(VaeImages.ToImage(decoded).MoveToOuterDisposeScope()));
    }
}
