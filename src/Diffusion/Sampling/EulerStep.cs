using static TorchSharp.torch;

namespace ComfySnap.Diffusion.Sampling;

/// <summary>euler (also ComfyUI's "ddim"): x += d * (sigma_next - sigma), s_churn 0.</summary>
internal sealed class EulerStep(StepInputs inputs) : SamplerStep(inputs)
{
    public override Tensor Step(Tensor x, int i)
    {
        var sigma = Inputs.Sigma(i);
        var denoised = Inputs.Denoise(x, sigma);
        var d = KDiffusion.ToD(x, sigma, denoised);
        return x + (d * (Inputs.Sigma(i + 1) - sigma));
    }
}
