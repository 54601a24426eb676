using System.Globalization;
using System.Text.Json;

namespace ComfySnap.NodeSdk;

/// <summary>
/// The literal inputs that give the size of an image a node makes (width, height and maybe a batch
/// size). Declared rather than coded, so the gateway checks them against the engine's limits from
/// the published catalog exactly as a worker does.
/// </summary>
public sealed record ImageSizeInputs(string Width, string Height, string? BatchSize = null)
{
    public const string ErrorType = "limit_exceeded";

    /// <summary>
    /// Errors for a width x height (x batch) request: each side against MaxSide, width*height
    /// against MaxPixels, the batch against MaxBatchSize. Inputs that are links, missing or not
    /// numbers are skipped (the engine reports those). A width or height of 0 means "derived".
    /// </summary>
    public IEnumerable<NodeValidationError> Check(NodeInputs literals, EngineLimits limits)
    {
        var width = Literal(literals, Width);
        var height = Literal(literals, Height);
        foreach (var (name, side) in new[] { (Width, width), (Height, height) })
        {
            if (side > limits.MaxSide)
            {
                yield return Error(name, $"{name} {side} > MaxSide {limits.MaxSide}");
            }
        }

        if (width is > 0 && height is > 0 && width.Value * height.Value > limits.MaxPixels)
        {
            yield return Error(Width, $"{Width}*{Height} = {width.Value * height.Value} > MaxPixels {limits.MaxPixels}");
        }

        if (BatchSize is not null && Literal(literals, BatchSize) is { } batch && batch > limits.MaxBatchSize)
        {
            yield return Error(BatchSize, $"{BatchSize} {batch} > MaxBatchSize {limits.MaxBatchSize}");
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
