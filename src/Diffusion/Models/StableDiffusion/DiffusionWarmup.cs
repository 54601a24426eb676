using ComfySnap.NodeSdk;
using ComfySnap.Diffusion.Sampling;
using static TorchSharp.torch;

namespace ComfySnap.Diffusion.Models.StableDiffusion;

/// <summary>
/// A 64x64, one-step render through every model of a checkpoint (text encode, UNet with guidance,
/// VAE decode and encode): torch's first-call costs (kernel selection, allocator growth) are paid
/// at boot, and in a snapshot, instead of by the first job.
/// </summary>
public static class DiffusionWarmup
{
    public static void Run(ILoadedCheckpoint checkpoint, CancellationToken cancellationToken)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var positive = new Conditioning([checkpoint.TextEncoder.EncodePrompt("warm-up")]);
        var negative = new Conditioning([checkpoint.TextEncoder.EncodePrompt("")]);
        var latent = new Latent(zeros(1, 4, 8, 8));
        var settings = new KSamplerSettings(0, 1, 7.0, Samplers.Euler, Schedulers.Normal);
        var sampled = KSamplerRun.Sample(checkpoint.Model, positive, negative, latent, settings, (_, _) => { }, cancellationToken);
        var image = VaeImages.Decode(checkpoint.Vae, sampled.Samples, cancellationToken);
        _ = VaeImages.Encode(checkpoint.Vae, image, cancellationToken);
    }
}
