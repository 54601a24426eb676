using ComfySnap.Diffusion.Models.StableDiffusion.Lora;
using ComfySnap.Diffusion.Models.StableDiffusion.Vae;
using ComfySnap.Diffusion.Sampling;
using ComfySnap.Diffusion.Text;

namespace ComfySnap.Diffusion.Models.StableDiffusion.Sdxl;

/// <summary>What the model store keeps for an SDXL checkpoint: MODEL (SDXL latent format and adm), CLIP and VAE.</summary>
public sealed class LoadedSdxlCheckpoint(SdxlCheckpoint checkpoint, SdTokenizer tokenizerL, SdTokenizer tokenizerG) : ILoadedCheckpoint
{
    public SdxlCheckpoint Checkpoint { get; } = checkpoint;

    public DiffusionModel Model { get; } = new(checkpoint.Unet, ModelSamplingDiscrete.Sd1, System.IO.Path.GetFileName(checkpoint.Path), PatchedWeights.Of(checkpoint.Weights))
    {
        // SDXL sets no sampling settings: SD 1.x's discrete schedule, with its own latent scale.
        LatentFormat = LatentFormat.Sdxl,
        Adm = checkpoint.Adm,
    };

    public SdxlClip Clip { get; } = new(checkpoint.ClipL, checkpoint.ClipG, tokenizerL, tokenizerG, PatchedWeights.Of(checkpoint.Weights), checkpoint.ClipGPrefix);

    public IClipModel TextEncoder => Clip;

    public AutoencoderKl Vae => Checkpoint.Vae;

    public IReadOnlyList<string> MappedFiles => Checkpoint.MappedFiles;

    public long PageIn(CancellationToken cancellationToken) => Checkpoint.PageIn(cancellationToken);

    public void WarmUp(IReadOnlyList<WarmupSize> sizes, CancellationToken cancellationToken) => DiffusionWarmup.Run(this, sizes, cancellationToken);

    public void Dispose() => Checkpoint.Dispose();
}
