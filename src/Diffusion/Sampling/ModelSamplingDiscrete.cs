using static TorchSharp.torch;

namespace ComfySnap.Diffusion.Sampling;

/// <summary>
/// ComfyUI's ModelSamplingDiscrete with EPS prediction (comfy/model_sampling.py) for SD1's linear
/// schedule: the table of 1000 training sigmas, the sigma &lt;-&gt; timestep maps and the EPS
/// input/output scalings. Every operation keeps the reference's dtypes and tensor shapes, so results
/// match it bit for bit where libtorch's kernels agree.
/// </summary>
/// <remarks>
/// Immutable and safe to share between threads and jobs: the two tables are created once, detached
/// from any dispose scope and never written to; every method returns new tensors. Callers must not
/// modify <see cref="Sigmas"/> or <see cref="LogSigmas"/> in place.
/// </remarks>
public sealed class ModelSamplingDiscrete
{
    public const double Sd1LinearStart = 0.00085;
    public const double Sd1LinearEnd = 0.012;
    public const int Sd1Timesteps = 1000;

    /// <summary>sigma_data of EPS prediction, kept in the input scaling x / sqrt(sigma^2 + sigma_data^2) as the reference writes it.</summary>
    public const double SigmaData = 1.0;

    /// <summary>The SD1 schedule, built once per process (8 KB).</summary>
    public static ModelSamplingDiscrete Sd1 => Shared.Value;

    private static readonly Lazy<ModelSamplingDiscrete> Shared = new(() => new ModelSamplingDiscrete());

    public ModelSamplingDiscrete(double linearStart = Sd1LinearStart, double linearEnd = Sd1LinearEnd, int timesteps = Sd1Timesteps)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(timesteps, 2);
        using var scope = NewDisposeScope();

        // The schedule is built in float64 as the reference does; only the final tables are float32.
        var betas = linspace(Math.Pow(linearStart, 0.5), Math.Pow(linearEnd, 0.5), timesteps, float64).pow(2);
        var alphasCumprod = cumprod(1.0 - betas, 0);
        var sigmas = ((1 - alphasCumprod) / alphasCumprod).pow(0.5);
        Sigmas = sigmas.to(float32).DetachFromDisposeScope();
        LogSigmas = sigmas.log().to(float32).DetachFromDisposeScope();
        SigmaMin = Sigmas[0].item<float>();
        SigmaMax = Sigmas[-1].item<float>();
    }

    /// <summary>float32 [timesteps]: the noise level of each training timestep. Read only.</summary>
    public Tensor Sigmas { get; }

    /// <summary>float32 [timesteps]: log of <see cref="Sigmas"/>, taken in float64. Read only.</summary>
    public Tensor LogSigmas { get; }

    /// <summary>Sigmas[0] (0.0291675 for SD1).</summary>
    public float SigmaMin { get; }

    /// <summary>Sigmas[^1] (14.614642 for SD1).</summary>
    public float SigmaMax { get; }

    /// <summary>Number of training timesteps (1000 for SD1).</summary>
    public long Count => Sigmas.shape[0];

    /// <summary>
    /// The nearest training timestep of each sigma (argmin of |log sigma - log_sigmas|, ties to the lower
    /// index; no interpolation), as float32 of sigma's shape: what the UNet is given.
    /// </summary>
    public Tensor Timestep(Tensor sigma)
    {
        using var scope = NewDisposeScope();
        var distances = sigma.log() - LogSigmas.unsqueeze(1);
        return distances.abs().argmin(0).view(sigma.shape).to(float32).MoveToOuterDisposeScope();
    }

    /// <summary>The sigma of a (fractional) timestep: exp of log_sigmas linearly interpolated, t clamped to the table.</summary>
    public Tensor Sigma(Tensor timestep)
    {
        using var scope = NewDisposeScope();
        var t = timestep.to(float32).clamp(0, Count - 1);
        var low = t.floor().to(int64);
        var high = t.ceil().to(int64);
        var w = t.frac();
        var logSigma = ((1 - w) * LogSigmas[low]) + (w * LogSigmas[high]);
        return logSigma.exp().MoveToOuterDisposeScope();
    }

    /// <summary>EPS model input: x / sqrt(sigma^2 + 1), sigma a [B] tensor (one per batch item of x).</summary>
    public static Tensor CalculateInput(Tensor sigma, Tensor x)
    {
        using var scope = NewDisposeScope();
        var s = PerBatchItem(sigma, x);
        return (x / (s.pow(2) + (SigmaData * SigmaData)).pow(0.5)).MoveToOuterDisposeScope();
    }

    /// <summary>EPS model output to the denoised prediction: x - eps * sigma, sigma a [B] tensor.</summary>
    public static Tensor CalculateDenoised(Tensor sigma, Tensor eps, Tensor x)
    {
        using var scope = NewDisposeScope();
        return (x - (eps * PerBatchItem(sigma, eps))).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Noise added to a latent at <paramref name="sigma"/> (one value, or one per batch item):
    /// noise * sqrt(1 + sigma^2) + latent when starting from pure noise (<see cref="IsMaxDenoise"/>),
    /// else noise * sigma + latent.
    /// </summary>
    public static Tensor NoiseScaling(Tensor sigma, Tensor noise, Tensor latent, bool maxDenoise)
    {
        using var scope = NewDisposeScope();
        var s = sigma.numel() == 1 ? sigma.reshape([]) : PerBatchItem(sigma, noise);
        var scaled = maxDenoise ? noise * (1.0 + s.pow(2.0)).sqrt() : noise * s;
        return (scaled + latent).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Whether a schedule starting at <paramref name="firstSigma"/> starts from pure noise: ComfyUI's
    /// isclose(sigma_max, sigma, rel_tol=1e-5) or sigma &gt; sigma_max.
    /// </summary>
    public bool IsMaxDenoise(float firstSigma) =>
        PyMath.IsClose(SigmaMax, firstSigma, relTol: 1e-5) || firstSigma > SigmaMax;

    // [B] -> [B, 1, 1, ...] so that each batch item of `like` gets its own sigma.
    private static Tensor PerBatchItem(Tensor sigma, Tensor like)
    {
        var shape = new long[like.dim()];
        Array.Fill(shape, 1L);
        shape[0] = sigma.shape.Length == 0 ? 1 : sigma.shape[0];
        return sigma.view(shape);
    }
}
