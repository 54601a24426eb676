using ComfySnap.Diffusion.Models.StableDiffusion.Vae;
using static TorchSharp.torch;

namespace ComfySnap.Diffusion.Models.StableDiffusion;

/// <summary>
/// VAEDecode/VAEEncode as comfy/sd.py does them: decode to [B,H,W,3] in 0..1 (clamp of (x+1)/2);
/// encode crops H and W down to multiples of the VAE's ratio (centred), maps 0..1 to -1..1 and
/// takes the latent mode. One image at a time: each is independent, and a 512x512 decode holds
/// hundreds of MB of activations. Cancellation is checked between images.
/// </summary>
public static class VaeImages
{
    public static Tensor Decode(AutoencoderKl vae, Tensor latents, CancellationToken cancellationToken)
    {
        using var scope = NewDisposeScope();
        var images = new List<Tensor>();
        for (long b = 0; b < latents.shape[0]; b++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            images.Add(ToImage(vae.Decode(latents.narrow(0, b, 1).to_type(ScalarType.Float32))));
        }

        return cat(images, 0).MoveToOuterDisposeScope();
    }

    /// <summary>Decoder output [B,3,H,W] (about -1..1) to IMAGE [B,H,W,3] in 0..1.</summary>
    public static Tensor ToImage(Tensor decoded) => decoded.add(1.0).div_(2.0).clamp_(0.0, 1.0).permute(0, 2, 3, 1).contiguous();

    public static Tensor Encode(AutoencoderKl vae, Tensor pixels, CancellationToken cancellationToken)
    {
        using var scope = NewDisposeScope();
        var cropped = CropToMultiple(pixels, vae.Config.DownscaleRatio);
        var latents = new List<Tensor>();
        for (long b = 0; b < cropped.shape[0]; b++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            latents.Add(vae.Encode(ToVaeInput(cropped.narrow(0, b, 1))));
        }

        return cat(latents, 0).MoveToOuterDisposeScope();
    }

    /// <summary>IMAGE [B,H,W,C] (first 3 channels) to the encoder's [B,3,H,W] in -1..1.</summary>
    public static Tensor ToVaeInput(Tensor pixels) =>
        pixels.narrow(3, 0, 3).permute(0, 3, 1, 2).to_type(ScalarType.Float32).mul(2.0).sub_(1.0);

    /// <summary>vae_encode_crop_pixels: centre crop of [B,H,W,C] to multiples of <paramref name="ratio"/>.</summary>
    public static Tensor CropToMultiple(Tensor pixels, int ratio)
    {
        var result = pixels;
        for (var dim = 1; dim <= 2; dim++)
        {
            var size = result.shape[dim];
            var kept = size / ratio * ratio;
            if (kept == 0)
            {
                throw new ArgumentException($"image side of {size} pixels is smaller than the VAE's {ratio}-pixel latent cell");
            }

            if (kept != size)
            {
                result = result.narrow(dim, size % ratio / 2, kept);
            }
        }

        return result;
    }
}
