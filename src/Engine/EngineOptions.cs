using ComfySnap.NodeSdk;

namespace ComfySnap.Engine;

/// <summary>Workflow engine settings. Bound from the "Engine" configuration section.</summary>
public sealed class EngineOptions
{
    public const string SectionName = "Engine";

    public EngineLimits Limits { get; set; } = new();

    /// <summary>Memory budget of the in-process node output cache (LRU by tensor bytes); 0 turns it off.</summary>
    public long NodeCacheBytes { get; set; } = 1L << 30;

    /// <summary>Torch intra-op threads; 0 leaves torch's default (one per core).</summary>
    public int TorchThreads { get; set; }
}
