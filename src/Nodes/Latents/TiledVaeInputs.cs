using ComfySnap.NodeSdk;

namespace ComfySnap.Nodes.Latents;

/// <summary>The tiling inputs VAEDecodeTiled and VAEEncodeTiled share, declared as ComfyUI declares them.</summary>
internal static class TiledVaeInputs
{
    private const long DefaultOverlap = 64;

    public static IEnumerable<InputSpec> Tiling =>
    [
        InputSpec.Int("tile_size", 512, 64, 4096),
        InputSpec.Int("overlap", DefaultOverlap, 0, 4096).AsOptional(),
        // Video VAEs only; accepted so that ComfyUI's current workflows validate.
        InputSpec.Int("temporal_size", 64, 8, 4096).AsOptional(),
        InputSpec.Int("temporal_overlap", 8, 4, 4096).AsOptional(),
    ];

    public static long TileSize(NodeInputs inputs) => inputs.Int("tile_size");

    /// <summary>The overlap in pixels; older workflows omit it.</summary>
    public static long Overlap(NodeInputs inputs) => inputs.Has("overlap") ? inputs.Int("overlap") : DefaultOverlap;
}
