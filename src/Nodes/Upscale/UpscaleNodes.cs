using ComfySnap.NodeSdk;

namespace ComfySnap.Nodes.Upscale;

/// <summary>The upscale-model node pack: loading ESRGAN models and upscaling images with them.</summary>
public static class UpscaleNodes
{
    public static IReadOnlyList<ComfyNode> All() => [new UpscaleModelLoader(), new ImageUpscaleWithModel()];
}
