namespace ComfySnap.NodeSdk;

/// <summary>Safety limits a workflow is validated against. Bound from "Engine:Limits".</summary>
public sealed class EngineLimits
{
    public int MaxNodes { get; set; } = 500;

    /// <summary>Largest width*height of any single image a node may produce.</summary>
    public long MaxPixels { get; set; } = 16_777_216;

    public int MaxBatchSize { get; set; } = 64;

    public int MaxSteps { get; set; } = 200;

    public int MaxSide { get; set; } = 16_384;
}
