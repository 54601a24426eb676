using ComfySnap.NodeSdk;
using ComfySnap.Diffusion.Models.StableDiffusion.Layers;
using ComfySnap.Diffusion.Models.StableDiffusion.Lora;
using ComfySnap.Diffusion.Models.StableDiffusion.Unet;
using ComfySnap.Diffusion.Sampling;
using TorchSharp;

namespace ComfySnap.Diffusion.Models.StableDiffusion;

/// <summary>
/// ComfyUI's MODEL: the UNet plus how it maps sigmas to timesteps. <see cref="Weights"/> are what
/// the UNet is bound to: the checkpoint's, or LoRA-patched copies of some, which this value owns
/// (the engine frees them with it; a checkpoint's own MODEL owns none).
/// </summary>
public sealed record DiffusionModel(UnetModel Unet, ModelSamplingDiscrete Sampling, string Description, PatchedWeights Weights) : ITensorHolder
{
    /// <summary>How KSampler scales latents for this model (SD 1.x unless the loader says otherwise).</summary>
    public LatentFormat LatentFormat { get; init; } = LatentFormat.Sd15;

    /// <summary>The adm vector the UNet takes besides the text (SDXL), or null.</summary>
    public IAdmEncoder? Adm { get; init; }

    public IEnumerable<torch.Tensor> Tensors => Weights.Owned;

    public ITensorHolder MapTensors(Func<torch.Tensor, torch.Tensor> map)
    {
        var mapped = Weights.MapOwned(map);
        return ReferenceEquals(mapped, Weights) ? this : Over(mapped, Description);
    }

    /// <summary>The same model over other weights: only layer objects are rebuilt, no tensor is copied.</summary>
    public DiffusionModel Over(PatchedWeights weights, string description) => this with
    {
        Unet = new UnetModel(new StateDictBinder(weights.All, "LoRA-patched UNet").Root(CheckpointLayout.UnetPrefix), Unet.Config),
        Weights = weights,
        Description = description,
    };
}
