using static TorchSharp.torch;

namespace ComfySnap.Diffusion.Sampling;

/// <summary>
/// The model as the samplers see it: the denoised prediction for <paramref name="x"/> at noise level
/// <paramref name="sigma"/> (float32 [B], one per batch item of x, all equal). Must return a new tensor,
/// which the sampler owns and disposes; x and sigma belong to the sampler and must not be modified.
/// </summary>
public delegate Tensor Denoiser(Tensor x, Tensor sigma);
