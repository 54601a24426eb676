namespace ComfySnap.Diffusion.Models;

/// <summary>ComfyUI's model folder names: the kind a loader node reads and the model store resolves.</summary>
public static class ModelKinds
{
    public const string Checkpoints = "checkpoints";
    public const string Vae = "vae";
    public const string Loras = "loras";
    public const string UpscaleModels = "upscale_models";
    public const string ControlNet = "controlnet";
}
