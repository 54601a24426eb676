using ComfySnap.NodeSdk;

namespace ComfySnap.Nodes.Core;

/// <summary>ComfyUI's core image nodes, one instance each, for the engine to register.</summary>
public static class CoreNodes
{
    public static IReadOnlyList<ComfyNode> All() =>
    [
        new EmptyImage(),
        new LoadImage(),
        new SaveImage(),
        new PreviewImage(),
        new ImageScale(),
        new ImageScaleBy(),
        new ImageInvert(),
        new ImageBlur(),
        new ImageSharpen(),
        new ImageBatch(),
        new ImageCrop(),
        new EmptyLatentImage(),
    ];
}
