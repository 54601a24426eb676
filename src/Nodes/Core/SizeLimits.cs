using System.Globalization;
using System.Text.Json;
using ComfySnap.NodeSdk;

namespace ComfySnap.Nodes.Core;

/// <summary>Checks image sizes given as literals against the engine's limits (validation time).</summary>
public static class SizeLimits
{
    /// <summary>ComfyUI's nodes.MAX_RESOLUTION: the declared maximum of every width/height input.</summary>
    public const long MaxResolution = 16_384;

    public const string ErrorType = "limit_exceeded";

    /// <summary>
    /// Errors for a width x height (x batch) request: each side against MaxSide, width*height
    /// against MaxPixels, the batch against MaxBatchSize. Inputs that are links, missing or not
    /// numbers are skipped (the engine reports those). A width or height of 0 means "derived".
    /// </summary>
    public static IEnumerable<NodeValidationError> Check(NodeInputs literals, EngineLimits limits, string widthInput, string heightInput, string? batchInput = null)
    {
        var width = Literal(literals, widthInput);
        var height = Literal(literals, heightInput);
        foreach (var (name, side) in new[] { (widthInput, width), (heightInput, height) })
        {
            if (side > limits.MaxSide)
            {
                yield return Error(name, $"{name} {side} > MaxSide {limits.MaxSide}");
            }
        }

        if (width is > 0 && height is > 0 && width.Value * height.Value > limits.MaxPixels)
        {
            yield return Error(widthInput, $"{widthInput}*{heightInput} = {width.Value * height.Value} > MaxPixels {limits.MaxPixels}");
        }

        if (batchInput is not null && Literal(literals, batchInput) is { } batch && batch > limits.MaxBatchSize)
        {
            yield return Error(batchInput, $"{batchInput} {batch} > MaxBatchSize {limits.MaxBatchSize}");
        }
    }

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

    /// <summary>An integer literal, or null when the input is absent, linked or not an integer.</summary>
    public static long? Literal(NodeInputs literals, string name) => literals.Raw(name) switch
    {
        long l => l,
        int i => i,
        short s => s,
        double d when double.IsFinite(d) && d == Math.Floor(d) && Math.Abs(d) < 9e15 => (long)d,
        decimal m when m == decimal.Floor(m) && Math.Abs(m) < 9e15m => (long)m,
        JsonElement { ValueKind: JsonValueKind.Number } e when e.TryGetInt64(out var l) => l,
        string text when long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) => l,
        _ => null,
    };

    private static NodeValidationError Error(string input, string details) =>
        new(ErrorType, "Requested image size exceeds the engine's limits", details, input);
}
