using ComfySnap.NodeSdk;
using ComfySnap.Diffusion.Models.StableDiffusion;
using ComfySnap.Diffusion.Models.StableDiffusion.Sdxl;

namespace ComfySnap.Nodes.Conditioning;

/// <summary>The "clip" input of the SDXL text nodes, which need an SDXL CLIP (they make a pooled output).</summary>
internal static class SdxlClipInput
{
    public static SdxlClip Of(NodeInputs inputs, string node) => inputs.Get<IClipModel>("clip") as SdxlClip
        ?? throw new InvalidOperationException($"{node} needs the CLIP of an SDXL checkpoint (an SD 1.x CLIP has no pooled output)");
}
