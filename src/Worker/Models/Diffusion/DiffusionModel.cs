using ComfySnap.Worker.Models.Diffusion.Unet;
using ComfySnap.Worker.Sampling;

namespace ComfySnap.Worker.Models.Diffusion;

/// <summary>ComfyUI's MODEL: the UNet (possibly LoRA-patched) plus how it maps sigmas to timesteps.</summary>
public sealed record DiffusionModel(UnetModel Unet, ModelSamplingDiscrete Sampling, string Description);
