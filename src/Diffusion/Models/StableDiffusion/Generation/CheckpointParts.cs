using ComfySnap.Diffusion.Models.StableDiffusion.Sdxl;
using static ComfySnap.Diffusion.Models.StableDiffusion.CheckpointLayout;

namespace ComfySnap.Diffusion.Models.StableDiffusion.Generation;

/// <summary>Which model a single-file checkpoint key belongs to, for counting parameters per part.</summary>
public static class CheckpointParts
{
    public static string Of(string key) =>
        key.StartsWith(UnetPrefix, StringComparison.Ordinal) ? "unet"
        : key.StartsWith(VaePrefix, StringComparison.Ordinal) ? "vae"
        : key.StartsWith(ClipLegacyPrefix, StringComparison.Ordinal) ? "clip"
        : key.StartsWith(SdxlLayout.ClipLPrefix, StringComparison.Ordinal) ? "clip_l"
        : key.StartsWith(SdxlLayout.ClipGPrefix, StringComparison.Ordinal) || key.StartsWith(SdxlLayout.RefinerClipGPrefix, StringComparison.Ordinal) ? "clip_g"
        : key.StartsWith(ControlNet.ControlNetLayout.OriginalPrefix, StringComparison.Ordinal) ? "controlnet"
        : "other";
}
