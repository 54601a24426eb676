using ComfySnap.Diffusion.Sampling;
using static TorchSharp.torch;

namespace ComfySnap.Tests.Sampling.Support;

/// <summary>
/// Cheap stand-ins for the model, defined exactly as in Fixtures/make_fixtures.py (keep them in step):
/// deterministic and not linear in x, so a sampler that calls the model at the wrong x or sigma shows.
/// Only +, *, / (correctly rounded in every libtorch build), so differences left are the samplers' own.
/// </summary>
public static class SamplingToys
{
    /// <summary>denoised = x * 0.8 / (1 + sigma + x * x * 0.1), sigma [B].</summary>
    public static Tensor Denoiser(Tensor x, Tensor sigma) => x * 0.8 / (1 + sigma.view(-1, 1, 1, 1) + (x * x * 0.1));

    /// <summary>eps = x_in * 0.5 / (1 + x_in * x_in * 0.1) + t * 0.001, t the float timestep [B].</summary>
    public static Tensor Unet(Tensor xIn, Tensor t) => (xIn * 0.5 / (1 + (xIn * xIn * 0.1))) + (t.view(-1, 1, 1, 1) * 0.001);

    /// <summary>The toy UNet wrapped as ComfyUI wraps an EPS model: input scaling, timestep, denoised output.</summary>
    public static Denoiser EpsModel(ModelSamplingDiscrete modelSampling) => (x, sigma) =>
    {
        using var scope = NewDisposeScope();
        var xIn = ModelSamplingDiscrete.CalculateInput(sigma, x);
        var eps = Unet(xIn, modelSampling.Timestep(sigma));
        return ModelSamplingDiscrete.CalculateDenoised(sigma, eps, x).MoveToOuterDisposeScope();
    };
}
