using ComfySnap.NodeSdk;

namespace ComfySnap.Diffusion.Models.StableDiffusion;

/// <summary>ComfyUI's CLIP value, whatever the model family: what CLIPTextEncode and CLIPSetLastLayer need.</summary>
public interface IClipModel : ITensorHolder
{
    /// <summary>CLIPTextEncode: the prompt (with emphasis, any length) as one conditioning entry.</summary>
    ConditioningEntry EncodePrompt(string text);

    /// <summary>CLIPSetLastLayer: the same CLIP encoding with layer <paramref name="stopAtLayer"/> (-1 last, -2 penultimate, ...).</summary>
    IClipModel WithStopAtLayer(int stopAtLayer);
}
