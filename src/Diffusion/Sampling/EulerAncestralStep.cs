using static TorchSharp.torch;

namespace ComfySnap.Diffusion.Sampling;

/// <summary>
/// euler_ancestral (eta 1, s_noise 1): an Euler step down to sigma_down, then fresh noise * sigma_up.
/// When sigma_down is 0 (the last step) x is the denoised prediction itself and no noise is drawn.
/// </summary>
internal sealed class EulerAncestralStep(StepInputs inputs, AncestralNoise noise) : SamplerStep(inputs)
{
    public override Tensor Step(Tensor x, int i)
    {
        var sigma = Inputs.Sigma(i);
        var denoised = Inputs.Denoise(x, sigma);
        var (down, up) = KDiffusion.AncestralStep(sigma, Inputs.Sigma(i + 1));
        if (down.item<float>() == 0f)
        {
            return denoised;
        }

        var d = KDiffusion.ToD(x, sigma, denoised);
        return x + (d * (down - sigma)) + (noise.Next(x.shape) * up);
    }
}
