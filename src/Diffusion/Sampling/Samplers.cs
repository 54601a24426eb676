using ComfySnap.Diffusion;
using static TorchSharp.torch;

namespace ComfySnap.Diffusion.Sampling;

/// <summary>
/// The KSampler's sampler choices (comfy/k_diffusion/sampling.py as ComfyUI runs them) and the loop that
/// drives one over a schedule.
/// </summary>
public static class Samplers
{
    public const string Euler = "euler";
    public const string EulerAncestral = "euler_ancestral";
    public const string Heun = "heun";
    public const string Dpm2 = "dpm_2";
    public const string DpmPp2M = "dpmpp_2m";
    public const string Ddim = "ddim";
    public const string Lcm = "lcm";

    /// <summary>Names in ComfyUI's order.</summary>
    public static IReadOnlyList<string> Names { get; } = [Euler, EulerAncestral, Heun, Dpm2, DpmPp2M, Lcm, Ddim];

    public static bool IsKnown(string name) => Names.Contains(name, StringComparer.Ordinal);

    /// <summary>
    /// Runs <paramref name="sampler"/> from <paramref name="x"/> (already noised to sigmas[0]) over the
    /// float32 <paramref name="sigmas"/>, one step per consecutive pair, and returns the final x as a new
    /// tensor (the caller's; x and sigmas are left alone). Only x and what a sampler carries between steps
    /// stay alive from one step to the next.
    /// </summary>
    public static Tensor Sample(string sampler, Denoiser denoiser, Tensor x, Tensor sigmas, SamplerOptions options)
    {
        var total = checked((int)Math.Max(sigmas.shape[0] - 1, 0));
        using var noise = sampler is EulerAncestral or Lcm ? new AncestralNoise(options.Seed, options.NoiseSeedOffset) : null;
        using var run = NewDisposeScope();
        var step = Create(sampler, new StepInputs(denoiser, sigmas, x.shape[0]), noise);
        var current = x;
        for (var i = 0; i < total; i++)
        {
            options.CancellationToken.ThrowIfCancellationRequested();
            Tensor next;
            using (var span = DiffusionActivities.Source.StartActivity(DiffusionActivities.SamplerStep))
            using (NewDisposeScope())
            {
                span?.SetTag("comfysnap.sampler", sampler);
                span?.SetTag("comfysnap.step", i + 1);
                span?.SetTag("comfysnap.steps", total);
                next = step.Step(current, i).MoveToOuterDisposeScope();
            }

            if (!ReferenceEquals(current, x))
            {
                current.Dispose();
            }

            current = next;
            options.Progress?.Invoke(i + 1, total);
        }

        return (ReferenceEquals(current, x) ? x.alias() : current).MoveToOuterDisposeScope();
    }

    private static SamplerStep Create(string sampler, StepInputs inputs, AncestralNoise? noise) => sampler switch
    {
        Euler or Ddim => new EulerStep(inputs),
        EulerAncestral => new EulerAncestralStep(inputs, noise!),
        Heun => new HeunStep(inputs),
        Dpm2 => new Dpm2Step(inputs),
        DpmPp2M => new DpmPp2MStep(inputs),
        Lcm => new LcmStep(inputs, noise!),
        _ => throw new ArgumentException($"unknown sampler '{sampler}'; known: {string.Join(", ", Names)}", nameof(sampler)),
    };
}
