using ComfySnap.NodeSdk;
using ComfySnap.Diffusion.Sampling;
using static TorchSharp.torch;

namespace ComfySnap.Diffusion.Models.StableDiffusion;

/// <summary>
/// One-step renders through every model of a checkpoint (text encode, UNet with guidance, VAE
/// decode) at each warm-up size, and one VAE encode at the smallest: torch's first-call costs
/// (oneDNN kernel selection per shape, allocator growth) are paid at boot, and in a snapshot,
/// instead of by the first job.
/// </summary>
public static class DiffusionWarmup
{
    public static void Run(ILoadedCheckpoint checkpoint, IReadOnlyList<WarmupSize> sizes, CancellationToken cancellationToken)
    {
        using var noGrad = no_grad();
        using var prompts = NewDisposeScope();
        var positive = new Conditioning([checkpoint.TextEncoder.EncodePrompt("warm-up")]);
        var negative = new Conditioning([checkpoint.TextEncoder.EncodePrompt("")]);
        var settings = new KSamplerSettings(0, 1, 7.0, Samplers.Euler, Schedulers.Normal);
        var smallest = sizes.MinBy(s => (long)s.Width * s.Height);
        foreach (var size in sizes)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var render = NewDisposeScope();
            var latent = new Latent(zeros(1, 4, size.Height / 8, size.Width / 8));
            var sampled = KSamplerRun.Sample(checkpoint.Model, positive, negative, latent, settings, (_, _) => { }, cancellationToken);
            var image = VaeImages.Decode(checkpoint.Vae, sampled.Samples, cancellationToken);
            if (size == smallest)
            {
                _ = VaeImages.Encode(checkpoint.Vae, image, cancellationToken);
            }
        }
    }
}
