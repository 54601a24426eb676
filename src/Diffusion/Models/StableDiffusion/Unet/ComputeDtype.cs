using static TorchSharp.torch;

namespace ComfySnap.Diffusion.Models.StableDiffusion.Unet;

/// <summary>Conversions at a model's boundary between the sampler's float32 and the dtype the model computes in.</summary>
public static class ComputeDtype
{
    /// <summary><paramref name="t"/> itself when it already has <paramref name="dtype"/>, else a converted copy (in the current dispose scope).</summary>
    public static Tensor To(Tensor t, ScalarType dtype) => t.dtype == dtype ? t : t.to_type(dtype);
}
