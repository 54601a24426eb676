using ComfySnap.Diffusion.Models.StableDiffusion.Sdxl;

namespace ComfySnap.Diffusion.Models.StableDiffusion.Lora;

/// <summary>What LoRA application needs from a CLIP value: its weights, the LoRA names of them, and how to rebind it over patched ones.</summary>
internal sealed record ClipLoraTarget(PatchedWeights Weights, IReadOnlyDictionary<string, string> KeyMap, Func<PatchedWeights, IClipModel> Over)
{
    public static ClipLoraTarget Of(IClipModel clip) => clip switch
    {
        ClipEncoder sd1 => new(sd1.Weights, LoraKeyMap.ForClip(sd1.Weights.Checkpoint.Keys), sd1.Over),
        SdxlClip sdxl => new(sdxl.Weights, SdxlLoraKeyMap.ForClip(sdxl), sdxl.Over),
        _ => throw new NotSupportedException($"LoRA on a {clip.GetType().Name} CLIP is not supported"),
    };
}
