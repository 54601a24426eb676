using ComfySnap.Diffusion.Models.StableDiffusion.Vae;
using ComfySnap.Diffusion.Models;
using static TorchSharp.torch;

namespace ComfySnap.Diffusion.Models.StableDiffusion;

/// <summary>
/// VAEEncodeTiled: the image is encoded in overlapping square tiles (sides multiples of the VAE's
/// ratio) and the latent tiles are blended with weights that ramp up across the overlap, then
/// normalised (ComfyUI's tiled_scale with a 1/8 scale). Memory is bounded by one tile.
/// </summary>
public static class TiledVaeEncode
{
    /// <summary>Latents of <paramref name="pixels"/> (IMAGE [B,H,W,C] in 0..1, sides multiples of the ratio).</summary>
    public static Tensor Encode(AutoencoderKl vae, Tensor pixels, int tile, int overlap, Action<int, int>? progress, CancellationToken cancellationToken)
    {
        using var scope = NewDisposeScope();
        var ratio = vae.Config.DownscaleRatio;
        tile = Math.Max(ratio * 2, tile / ratio * ratio);
        overlap = Math.Clamp(overlap / ratio * ratio, 0, tile - ratio);
        var input = VaeImages.ToVaeInput(pixels);
        var (batch, height, width) = (input.shape[0], input.shape[2], input.shape[3]);
        var ys = TiledScale.Positions(height, tile, overlap);
        var xs = TiledScale.Positions(width, tile, overlap);
        var output = zeros(batch, vae.Config.EmbedDim, height / ratio, width / ratio);
        var weights = zeros(1, 1, height / ratio, width / ratio);
        var feather = overlap / ratio;
        var (done, total) = (0, ys.Count * xs.Count);
        foreach (var y in ys)
        {
            foreach (var x in xs)
            {
                cancellationToken.ThrowIfCancellationRequested();
                using var tileScope = NewDisposeScope();
                var (h, w) = (Math.Min(tile, height - y), Math.Min(tile, width - x));
                var latent = vae.Encode(input.narrow(2, y, h).narrow(3, x, w));
                var mask = Feather(latent.shape[2], latent.shape[3], feather);
                output.narrow(2, y / ratio, latent.shape[2]).narrow(3, x / ratio, latent.shape[3]).add_(latent.mul(mask));
                weights.narrow(2, y / ratio, latent.shape[2]).narrow(3, x / ratio, latent.shape[3]).add_(mask);
                progress?.Invoke(++done, total);
            }
        }

        return output.div_(weights).MoveToOuterDisposeScope();
    }

    /// <summary>1 inside, ramping (1..feather)/feather towards each edge.</summary>
    private static Tensor Feather(long height, long width, int feather)
    {
        var mask = ones(1, 1, height, width);
        for (var t = 0; t < feather && t < height / 2 && t < width / 2; t++)
        {
            var weight = (t + 1.0) / feather;
            mask.narrow(2, t, 1).mul_(weight);
            mask.narrow(2, height - 1 - t, 1).mul_(weight);
            mask.narrow(3, t, 1).mul_(weight);
            mask.narrow(3, width - 1 - t, 1).mul_(weight);
        }

        return mask;
    }
}
