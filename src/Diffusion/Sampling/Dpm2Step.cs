using static TorchSharp.torch;

namespace ComfySnap.Diffusion.Sampling;

/// <summary>dpm_2: a midpoint step, the midpoint taken in log sigma; the step to sigma 0 is plain Euler.</summary>
internal sealed class Dpm2Step(StepInputs inputs) : SamplerStep(inputs)
{
    public override Tensor Step(Tensor x, int i)
    {
        var sigma = Inputs.Sigma(i);
        var sigmaNext = Inputs.Sigma(i + 1);
        var denoised = Inputs.Denoise(x, sigma);
        var d = KDiffusion.ToD(x, sigma, denoised);
        if (sigmaNext.item<float>() == 0f)
        {
            return x + (d * (sigmaNext - sigma));
        }

        // The weight is a float32 tensor: TorchSharp has no scalar-weight lerp, and a double would promote to float64.
        var sigmaMid = sigma.log().lerp(sigmaNext.log(), tensor(0.5f)).exp();
        var x2 = x + (d * (sigmaMid - sigma));
        var denoised2 = Inputs.Denoise(x2, sigmaMid);
        var d2 = KDiffusion.ToD(x2, sigmaMid, denoised2);
        return x + (d2 * (sigmaNext - sigma));
    }
}
