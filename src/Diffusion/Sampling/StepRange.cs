using static TorchSharp.torch;

namespace ComfySnap.Diffusion.Sampling;

/// <summary>
/// KSamplerAdvanced's window over the schedule (comfy/sample.py sample with start_step / last_step /
/// force_full_denoise): sample only steps [StartStep, LastStep), and when stopping early either keep the
/// leftover noise or end at sigma 0. The plain KSampler uses <see cref="All"/>.
/// </summary>
/// <param name="StartStep">start_at_step; null samples from the first step.</param>
/// <param name="LastStep">end_at_step; null (or past the end) samples to the last step.</param>
/// <param name="ForceFullDenoise">When cut short by LastStep, replace the last sigma with 0 (return_with_leftover_noise = disable).</param>
public readonly record struct StepRange(int? StartStep, int? LastStep, bool ForceFullDenoise)
{
    /// <summary>Every step (the KSampler node).</summary>
    public static StepRange All { get; } = new(null, null, ForceFullDenoise: true);

    /// <summary>
    /// The sigmas to sample over, as a new tensor. Empty means there is nothing to sample: the node returns
    /// its input latent unchanged (ComfyUI does so when start_at_step is at or past the last step).
    /// </summary>
    public Tensor Apply(Tensor sigmas)
    {
        if (StartStep < 0 || LastStep < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(sigmas), $"steps must not be negative (start {StartStep}, last {LastStep})");
        }

        using var scope = NewDisposeScope();
        var window = sigmas.clone();
        if (LastStep is { } last && last < window.shape[0] - 1)
        {
            window = window.narrow(0, 0, last + 1).clone();
            if (ForceFullDenoise)
            {
                window[-1].fill_(0);
            }
        }

        if (StartStep is { } start)
        {
            window = start < window.shape[0] - 1
                ? window.narrow(0, start, window.shape[0] - start).clone()
                : empty(0, float32);
        }

        return window.MoveToOuterDisposeScope();
    }
}
