using ComfySnap.NodeSdk;
using ComfySnap.Nodes.Core;
using ComfySnap.Nodes.Upscale;

namespace ComfySnap.Nodes;

/// <summary>Every node the worker ships (core image, upscale, diffusion), in registration order.</summary>
public static class BuiltInNodes
{
    public static IEnumerable<ComfyNode> All() => CoreNodes.All().Concat(UpscaleNodes.All()).Concat(DiffusionNodes.All());
}
