using ComfySnap.NodeSdk;

namespace ComfySnap.Nodes.Core;

/// <summary>Image sizes computed at run time against the engine's limits (literal sizes: <see cref="ImageSizeInputs"/>).</summary>
public static class SizeLimits
{
    /// <summary>ComfyUI's nodes.MAX_RESOLUTION: the declared maximum of every width/height input.</summary>
    public const long MaxResolution = 16_384;

    /// <summary>Runtime guard for sizes computed from tensors (the engine's limits are not visible there).</summary>
    public static void EnsureSide(string what, long side)
    {
        if (side > MaxResolution)
        {
            throw new LimitExceededException($"{what} would be {side} pixels, more than {MaxResolution}");
        }

        if (side < 1)
        {
            throw new InvalidOperationException($"{what} would be {side} pixels; it must be between 1 and {MaxResolution}");
        }
    }

    /// <summary>
    /// Runtime guard before allocating an image (or a latent's pixel-space size) computed from tensors:
    /// each side at least 1, then MaxSide, MaxPixels and MaxBatchSize of the engine's limits.
    /// </summary>
    public static void EnsureImage(NodeContext context, string what, long width, long height, long batch)
    {
        EnsureSide(what + " width", width);
        EnsureSide(what + " height", height);
        var limits = context.Limits;
        if (width > limits.MaxSide || height > limits.MaxSide || width * height > limits.MaxPixels || batch > limits.MaxBatchSize)
        {
            throw new LimitExceededException(
                $"{what} would be {width}x{height} x{batch}: over the engine's limits (MaxSide {limits.MaxSide}, MaxPixels {limits.MaxPixels}, MaxBatchSize {limits.MaxBatchSize})");
        }
    }
}
