using ComfySnap.Diffusion.Text;
using System.Text.Json;

namespace ComfySnap.Tests.Text;

/// <summary>
/// The expected outputs Fixtures/make_tokenizer_fixture.py wrote with the Python reference (sdref),
/// and one shared <see cref="ClipBpe"/> for the tests (loading it takes a few tens of ms).
/// </summary>
public static class TokenizerFixture
{
    private static readonly Lazy<ClipBpe> SharedBpe = new(ClipBpe.LoadDefault);

    public static ClipBpe Bpe => SharedBpe.Value;

    public static JsonElement Load(string name)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Text", "Fixtures", name);
        using var document = JsonDocument.Parse(File.ReadAllBytes(path));
        return document.RootElement.Clone();
    }

    /// <summary>A weight as the fixture writes it: a number, or "nan"/"inf"/"-inf" (JSON has no such numbers).</summary>
    public static double Weight(JsonElement element) => element.ValueKind == JsonValueKind.String
        ? element.GetString() switch
        {
            "nan" => double.NaN,
            "inf" => double.PositiveInfinity,
            "-inf" => double.NegativeInfinity,
            var other => throw new InvalidDataException($"unexpected weight '{other}' in the fixture"),
        }
        : element.GetDouble();

    /// <summary>Equal after rounding to 1e-9, NaN equal to NaN.</summary>
    public static bool SameWeight(double expected, double actual) =>
        double.IsNaN(expected) ? double.IsNaN(actual) : Math.Round(expected, 9) == Math.Round(actual, 9) || expected == actual;

    public static int[] Ints(JsonElement array) => array.EnumerateArray().Select(e => e.GetInt32()).ToArray();
}
