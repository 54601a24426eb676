using static TorchSharp.torch;

namespace ComfySnap.Diffusion.Sampling;

/// <summary>
/// The sigmas a KSampler node samples over (comfy/samplers.py KSampler.set_steps): the scheduler's
/// schedule, shortened for partial denoising, with ComfyUI's special case for the dpm_2 samplers.
/// </summary>
public static class KSamplerSigmas
{
    // ComfyUI computes one step more for these and drops the second-to-last sigma (its
    // DISCARD_PENULTIMATE_SIGMA_SAMPLERS, minus uni_pc which is not implemented here).
    private static readonly HashSet<string> DiscardPenultimate = new(StringComparer.Ordinal) { "dpm_2", "dpm_2_ancestral" };

    // denoise above this counts as full denoising.
    private const double FullDenoise = 0.9999;

    /// <summary>
    /// float32 sigmas: the full schedule when denoise is ~1; empty when denoise &lt;= 0 (nothing to do);
    /// otherwise the last steps + 1 sigmas of a schedule of int(steps / denoise) steps.
    /// </summary>
    public static Tensor Compute(ModelSamplingDiscrete modelSampling, string sampler, string scheduler, int steps, double denoise = 1.0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        if (denoise > FullDenoise)
        {
            return Schedule(modelSampling, sampler, scheduler, steps);
        }

        if (denoise <= 0.0)
        {
            return empty(0, float32);
        }

        using var scope = NewDisposeScope();
        var longer = Schedule(modelSampling, sampler, scheduler, checked((int)(steps / denoise)));
        var keep = Math.Min(steps + 1, longer.shape[0]);
        return longer.narrow(0, longer.shape[0] - keep, keep).contiguous().MoveToOuterDisposeScope();
    }

    private static Tensor Schedule(ModelSamplingDiscrete modelSampling, string sampler, string scheduler, int steps)
    {
        if (!DiscardPenultimate.Contains(sampler))
        {
            return Schedulers.Compute(scheduler, modelSampling, steps);
        }

        using var scope = NewDisposeScope();
        var sigmas = Schedulers.Compute(scheduler, modelSampling, steps + 1);
        var n = sigmas.shape[0];
        return cat([sigmas.narrow(0, 0, n - 2), sigmas.narrow(0, n - 1, 1)]).MoveToOuterDisposeScope();
    }
}
