using System.Text.Json;
using static TorchSharp.torch;

namespace ComfySnap.Tests.Sampling.Support;

/// <summary>
/// The JSON fixtures written by Fixtures/make_fixtures.py from the Python reference (sdref), copied to
/// the test output folder. Floats are stored as the shortest decimal of each float32 (null for NaN).
/// </summary>
public static class SamplingFixtures
{
    private static readonly Dictionary<string, JsonElement> Cache = [];

    public static JsonElement Load(string name)
    {
        lock (Cache)
        {
            if (!Cache.TryGetValue(name, out var root))
            {
                var path = Path.Combine(AppContext.BaseDirectory, "Sampling", "Fixtures", name);
                using var doc = JsonDocument.Parse(File.ReadAllText(path));
                root = doc.RootElement.Clone();
                Cache[name] = root;
            }

            return root;
        }
    }

    public static float[] Floats(this JsonElement array) =>
        array.EnumerateArray().Select(v => v.ValueKind == JsonValueKind.Null ? float.NaN : v.GetSingle()).ToArray();

    public static long[] Shape(this JsonElement array) => array.EnumerateArray().Select(v => v.GetInt64()).ToArray();

    /// <summary>Seeds are stored as strings: JSON readers commonly lose integers above 2^53.</summary>
    public static ulong Seed(this JsonElement item) => ulong.Parse(item.GetProperty("seed").GetString()!);

    /// <summary>A float32 tensor of the fixture's values and shape.</summary>
    public static Tensor Tensor(this JsonElement values, long[] shape) => tensor(values.Floats()).reshape(shape);

    /// <summary>The cases of a fixture list, as xunit theory rows of their index.</summary>
    public static TheoryData<int> Indices(string file, string list)
    {
        var data = new TheoryData<int>();
        var count = Load(file).GetProperty(list).GetArrayLength();
        for (var i = 0; i < count; i++)
        {
            data.Add(i);
        }

        return data;
    }
}
