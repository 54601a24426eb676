using ComfySnap.Diffusion.Models.StableDiffusion.Lora;
using ComfySnap.Diffusion.Sampling;
using ComfySnap.Diffusion.Text;

namespace ComfySnap.Diffusion.Models.StableDiffusion;

/// <summary>What the model store keeps for a checkpoint: the models and the node values built on them (MODEL, CLIP; VAE is the checkpoint's).</summary>
public sealed class LoadedCheckpoint(SdCheckpoint checkpoint, SdTokenizer tokenizer) : ILoadedCheckpoint
{
    public SdCheckpoint Checkpoint { get; } = checkpoint;

    public DiffusionModel Model { get; } = new(checkpoint.Unet, ModelSamplingDiscrete.Sd1, System.IO.Path.GetFileName(checkpoint.Path), PatchedWeights.Of(checkpoint.Weights));

    public ClipEncoder Clip { get; } = new(checkpoint.Clip, tokenizer, PatchedWeights.Of(checkpoint.Weights));

    public IClipModel TextEncoder => Clip;

    public Vae.AutoencoderKl Vae => Checkpoint.Vae;

    public IReadOnlyList<string> MappedFiles => Checkpoint.MappedFiles;

    public void WarmUp(IReadOnlyList<WarmupSize> sizes, CancellationToken cancellationToken) => DiffusionWarmup.Run(this, sizes, cancellationToken);

    public long PageIn(CancellationToken cancellationToken) => Checkpoint.PageIn(cancellationToken);

    public void Dispose() => Checkpoint.Dispose();
}
