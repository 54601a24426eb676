using static TorchSharp.torch;

namespace ComfySnap.Diffusion.Sampling;

/// <summary>heun: Euler predictor, trapezoidal corrector (two model calls); the step to sigma 0 is plain Euler.</summary>
internal sealed class HeunStep(StepInputs inputs) : SamplerStep(inputs)
{
    public override Tensor Step(Tensor x, int i)
    {
        var sigma = Inputs.Sigma(i);
        var sigmaNext = Inputs.Sigma(i + 1);
        var denoised = Inputs.Denoise(x, sigma);
        var d = KDiffusion.ToD(x, sigma, denoised);
        var dt = sigmaNext - sigma;
        if (sigmaNext.item<float>() == 0f)
        {
            return x + (d * dt);
        }

        var x2 = x + (d * dt);
        var denoised2 = Inputs.Denoise(x2, sigmaNext);
        var d2 = KDiffusion.ToD(x2, sigmaNext, denoised2);
        return x + ((d + d2) / 2 * dt);
    }
}
