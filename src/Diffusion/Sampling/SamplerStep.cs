using static TorchSharp.torch;

namespace ComfySnap.Diffusion.Sampling;

/// <summary>
/// One sampler's update rule. <see cref="Step"/> runs inside a dispose scope of its own; the tensor it
/// returns (the next x) is kept, everything else it creates is freed when the step ends.
/// </summary>
internal abstract class SamplerStep(StepInputs inputs)
{
    protected StepInputs Inputs { get; } = inputs;

    /// <summary>x after step <paramref name="i"/> (from sigmas[i] to sigmas[i + 1]).</summary>
    public abstract Tensor Step(Tensor x, int i);
}

/// <summary>The sigmas and the model, called the way k-diffusion calls it (sigma * ones(B)).</summary>
internal sealed class StepInputs(Denoiser denoiser, Tensor sigmas, long batch)
{
    /// <summary>sigmas[i] as a 0-d float32 tensor.</summary>
    public Tensor Sigma(int i) => sigmas[i];

    public Tensor Denoise(Tensor x, Tensor sigma) => denoiser(x, sigma * ones(batch, float32));
}
