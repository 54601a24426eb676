using static TorchSharp.torch;

namespace ComfySnap.Diffusion.Sampling;

/// <summary>lcm (ComfyUI only): jump to the denoised prediction, then re-noise it to the next sigma unless that is 0.</summary>
internal sealed class LcmStep(StepInputs inputs, AncestralNoise noise) : SamplerStep(inputs)
{
    public override Tensor Step(Tensor x, int i)
    {
        var denoised = Inputs.Denoise(x, Inputs.Sigma(i));
        var sigmaNext = Inputs.Sigma(i + 1);
        if (sigmaNext.item<float>() > 0f)
        {
            return ModelSamplingDiscrete.NoiseScaling(sigmaNext, noise.Next(x.shape), denoised, maxDenoise: false);
        }

        return denoised;
    }
}
