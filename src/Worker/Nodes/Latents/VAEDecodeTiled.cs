using ComfySnap.NodeSdk;
using ComfySnap.Worker.Models;
using ComfySnap.Worker.Models.Diffusion;
using ComfySnap.Worker.Models.Diffusion.Vae;
using static TorchSharp.torch;

namespace ComfySnap.Worker.Nodes.Latents;

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
        InputSpec.Int("tile_size", 512, 64, 4096),
        InputSpec.Int("overlap", 64, 0, 4096).AsOptional(),
        // Video VAEs only; accepted so that ComfyUI's current workflows validate.
        InputSpec.Int("temporal_size", 64, 8, 4096).AsOptional(),
        InputSpec.Int("temporal_overlap", 8, 4, 4096).AsOptional(),
    ];

    public override IReadOnlyList<string> Outputs { get; } = [ComfyTypes.Image];

    public override ValueTask<NodeResult> ExecuteAsync(NodeInputs inputs, NodeContext context, CancellationToken cancellationToken)
    {
        var vae = inputs.Get<AutoencoderKl>("vae");
        var ratio = vae.Config.DownscaleRatio;
        var tileSize = inputs.Int("tile_size");
        var overlap = inputs.Has("overlap") ? inputs.Int("overlap") : 64;
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
