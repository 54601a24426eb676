using static TorchSharp.torch;

namespace ComfySnap.Diffusion.Sampling;

/// <summary>
/// The KSampler's scheduler choices (comfy/samplers.py SCHEDULER_HANDLERS, minus "beta", which needs
/// scipy in ComfyUI): each turns a step count into a float32 sigma schedule that ends in 0.
/// </summary>
public static class Schedulers
{
    public const string Normal = "normal";
    public const string Karras = "karras";
    public const string Exponential = "exponential";
    public const string SgmUniform = "sgm_uniform";
    public const string Simple = "simple";
    public const string DdimUniform = "ddim_uniform";
    public const string LinearQuadratic = "linear_quadratic";
    public const string KlOptimal = "kl_optimal";

    /// <summary>Names in ComfyUI's order.</summary>
    public static IReadOnlyList<string> Names { get; } =
        [Normal, Karras, Exponential, SgmUniform, Simple, DdimUniform, LinearQuadratic, KlOptimal];

    public static bool IsKnown(string name) => Names.Contains(name, StringComparer.Ordinal);

    /// <summary>
    /// float32 sigmas for <paramref name="steps"/> steps, usually steps + 1 values ending in 0
    /// (ddim_uniform may give a few more or fewer, as in ComfyUI).
    /// </summary>
    public static Tensor Compute(string name, ModelSamplingDiscrete modelSampling, int steps)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        return name switch
        {
            Normal => TableSchedules.Normal(modelSampling, steps, sgm: false),
            SgmUniform => TableSchedules.Normal(modelSampling, steps, sgm: true),
            Simple => TableSchedules.Simple(modelSampling, steps),
            DdimUniform => TableSchedules.DdimUniform(modelSampling, steps),
            Karras => FormulaSchedules.Karras(steps, modelSampling.SigmaMin, modelSampling.SigmaMax),
            Exponential => FormulaSchedules.Exponential(steps, modelSampling.SigmaMin, modelSampling.SigmaMax),
            LinearQuadratic => FormulaSchedules.LinearQuadratic(steps, modelSampling.SigmaMax),
            KlOptimal => FormulaSchedules.KlOptimal(steps, modelSampling.SigmaMin, modelSampling.SigmaMax),
            _ => throw new ArgumentException($"unknown scheduler '{name}'; known: {string.Join(", ", Names)}", nameof(name)),
        };
    }
}
