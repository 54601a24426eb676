using static TorchSharp.torch;

namespace ComfySnap.Diffusion.Sampling;

/// <summary>
/// A model family's latent scaling (comfy/latent_formats.py): VAE latents are multiplied by
/// <see cref="ScaleFactor"/> before sampling and divided by it afterwards. The MODEL carries its
/// format, so KSampler scales SD 1.x and SDXL latents each their own way.
/// </summary>
public sealed record LatentFormat(string Name, float ScaleFactor)
{
    public static readonly LatentFormat Sd15 = new("SD15", Sd1LatentFormat.ScaleFactor);

    /// <summary>latent_formats.SDXL: both SDXL base and refiner.</summary>
    public static readonly LatentFormat Sdxl = new("SDXL", 0.13025f);

    /// <summary>VAE latent to the sampler's space (process_in).</summary>
    public Tensor ProcessIn(Tensor latent) => latent * ScaleFactor;

    /// <summary>Sampler output back to a VAE latent (process_out), float32 division as the reference.</summary>
    public Tensor ProcessOut(Tensor samples) => samples / ScaleFactor;
}
