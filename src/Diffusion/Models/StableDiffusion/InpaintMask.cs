using ComfySnap.Diffusion.Sampling;
using static TorchSharp.torch;

namespace ComfySnap.Diffusion.Models.StableDiffusion;

/// <summary>
/// A latent noise mask during sampling (comfy/samplers.py KSamplerX0Inpaint): where the mask is 0
/// the model sees the original latent noised to the current sigma, and its prediction is replaced
/// by the original latent; where it is 1 the model works freely. Owns its tensors.
/// </summary>
public sealed class InpaintMask : IDisposable
{
    private readonly Tensor _denoise;
    private readonly Tensor _keep;
    private readonly Tensor _latent;
    private readonly Tensor _noise;

    /// <param name="mask">[B or 1, 1, H, W] in 0..1 at any resolution.</param>
    /// <param name="latent">The sampler's starting latent (already scaled), [B,C,h,w].</param>
    /// <param name="noise">The initial noise of the same shape.</param>
    public InpaintMask(Tensor mask, Tensor latent, Tensor noise)
    {
        using var scope = NewDisposeScope();
        var shape = latent.shape;
        var resized = nn.functional.interpolate(mask.reshape(-1, 1, mask.shape[^2], mask.shape[^1]).to_type(ScalarType.Float32), size: [shape[2], shape[3]], mode: InterpolationMode.Bilinear);
        var perChannel = cat(Enumerable.Repeat(resized, (int)shape[1]).ToList(), 1);
        _denoise = Batches.RepeatTo(perChannel, shape[0]).contiguous().MoveToOuterDisposeScope();
        _keep = (1.0 - _denoise).MoveToOuterDisposeScope();
        _latent = latent.alias().MoveToOuterDisposeScope();
        _noise = noise.alias().MoveToOuterDisposeScope();
    }

    public Tensor BlendInput(Tensor x, Tensor sigma)
    {
        using var scope = NewDisposeScope();
        var noised = ModelSamplingDiscrete.NoiseScaling(sigma, _noise, _latent, maxDenoise: false);
        return (x * _denoise).add_(noised.mul_(_keep)).MoveToOuterDisposeScope();
    }

    public Tensor BlendOutput(Tensor denoised)
    {
        using var scope = NewDisposeScope();
        return (denoised * _denoise).add_(_latent * _keep).MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        _denoise.Dispose();
        _keep.Dispose();
        _latent.Dispose();
        _noise.Dispose();
    }
}
