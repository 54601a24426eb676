using static TorchSharp.torch;

namespace ComfySnap.Diffusion.Sampling;

/// <summary>
/// SD1's latent scaling (comfy/latent_formats.py SD15): the VAE's latents are multiplied by
/// <see cref="ScaleFactor"/> before sampling and divided by it afterwards.
/// </summary>
public static class Sd1LatentFormat
{
    public const float ScaleFactor = 0.18215f;

    /// <summary>VAE latent to the sampler's space (process_in).</summary>
    public static Tensor ProcessIn(Tensor latent) => latent * ScaleFactor;

    /// <summary>Sampler output back to a VAE latent (process_out), float32 division as the reference.</summary>
    public static Tensor ProcessOut(Tensor samples) => samples / ScaleFactor;
}
