using static TorchSharp.torch;

namespace ComfySnap.Diffusion.Models.StableDiffusion.Layers;

/// <summary>Helpers for chains of large activations.</summary>
public static class Activations
{
    /// <summary>Frees the previous activation once the next exists (at 512x512 each one is tens of MB).</summary>
    public static Tensor Replace(Tensor previous, Tensor next)
    {
        previous.Dispose();
        return next;
    }
}
