using ComfySnap.NodeSdk;
using ComfySnap.Nodes.Conditioning;
using ComfySnap.Nodes.Latents;
using ComfySnap.Nodes.Loaders;
using ComfySnap.Nodes.Sampling;

namespace ComfySnap.Nodes;

/// <summary>ComfyUI's Stable Diffusion nodes (loaders, conditioning, sampling, latent), one instance each.</summary>
public static class DiffusionNodes
{
    public static IReadOnlyList<ComfyNode> All() =>
    [
        new CheckpointLoaderSimple(),
        new VAELoader(),
        new LoraLoader(),
        new LoraLoaderModelOnly(),
        new CLIPTextEncode(),
        new CLIPTextEncodeSDXL(),
        new CLIPTextEncodeSDXLRefiner(),
        new CLIPSetLastLayer(),
        new ConditioningCombine(),
        new ControlNetLoader(),
        new ControlNetApply(),
        new ControlNetApplyAdvanced(),
        new KSampler(),
        new KSamplerAdvanced(),
        new VAEDecode(),
        new VAEEncode(),
        new VAEDecodeTiled(),
        new VAEEncodeTiled(),
        new VAEEncodeForInpaint(),
        new SetLatentNoiseMask(),
        new LatentUpscale(),
        new LatentUpscaleBy(),
    ];
}
