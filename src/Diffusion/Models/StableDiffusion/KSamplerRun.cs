using ComfySnap.NodeSdk;
using ComfySnap.Diffusion.Sampling;
using static TorchSharp.torch;

namespace ComfySnap.Diffusion.Models.StableDiffusion;

/// <summary>What KSampler and KSamplerAdvanced ask for.</summary>
public sealed record KSamplerSettings(ulong Seed, int Steps, double Cfg, string Sampler, string Scheduler, double Denoise = 1.0, bool AddNoise = true)
{
    public StepRange Range { get; init; } = StepRange.All;
}

/// <summary>
/// ComfyUI's common_ksampler: noise from the seed (a CPU generator), the scheduler's sigmas, the
/// latent scaled in (unless it is all zeros), noised to the first sigma, sampled with
/// classifier-free guidance, scaled back out. Progress per step; cancellation between steps.
/// </summary>
public static class KSamplerRun
{
    public static Latent Sample(
        DiffusionModel model,
        Conditioning positive,
        Conditioning negative,
        Latent latent,
        KSamplerSettings settings,
        Action<int, int> progress,
        CancellationToken cancellationToken)
    {
        using var scope = NewDisposeScope();
        var samples = latent.Samples.to_type(ScalarType.Float32);
        var noise = settings.AddNoise ? InitialNoise.Prepare(settings.Seed, samples.shape) : zeros_like(samples);
        var sigmas = settings.Range.Apply(KSamplerSigmas.Compute(model.Sampling, settings.Sampler, settings.Scheduler, settings.Steps, settings.Denoise));
        if (sigmas.shape[0] == 0)
        {
            // Nothing to sample (denoise 0, or start_at_step past the end): the latent as it came.
            return new Latent(latent.Samples.alias().MoveToOuterDisposeScope(), latent.NoiseMask?.alias().MoveToOuterDisposeScope());
        }

        var start = count_nonzero(samples).item<long>() > 0 ? model.LatentFormat.ProcessIn(samples) : samples;
        var firstSigma = sigmas[0];
        var x = ModelSamplingDiscrete.NoiseScaling(firstSigma, noise, start, model.Sampling.IsMaxDenoise(firstSigma.item<float>()));
        using var mask = latent.NoiseMask is null ? null : new InpaintMask(latent.NoiseMask, start, noise);
        var guidance = new CfgDenoiser(model, positive, negative, settings.Cfg, mask, samples.shape);
        var options = new SamplerOptions(settings.Seed) { Progress = progress, CancellationToken = cancellationToken };
        var result = Samplers.Sample(settings.Sampler, guidance.Denoise, x, sigmas, options);
        return new Latent(model.LatentFormat.ProcessOut(result).MoveToOuterDisposeScope(), latent.NoiseMask?.alias().MoveToOuterDisposeScope());
    }
}
