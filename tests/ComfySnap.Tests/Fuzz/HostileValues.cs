using System.Text.Json.Nodes;
using CsCheck;

namespace ComfySnap.Tests.Fuzz;

/// <summary>
/// JSON values a workflow input should never crash on: wrong types, extreme and non-finite
/// numbers, path-like and unicode strings, malformed links.
/// </summary>
public static class HostileValues
{
    /// <summary>Marks a string to be written as a bare JSON token (1e999, NaN): see <see cref="WorkflowMutator.Serialize"/>.</summary>
    public const string RawPrefix = "\u0001RAW:";

    private static readonly string[] PathLike =
    [
        "../../etc/passwd", "/etc/passwd", "..\\..\\windows\\system32", "a/../../b", "input/../../x", "~/.ssh/id_rsa",
        "/proc/self/environ", "C:\\x.png", "x\u0000.png", "\u0000", ".", "..", "/", "", " ", "sub/dir/", "CON", "nul.png",
        "%2e%2e%2fetc", "file:///etc/passwd", "\\\\server\\share", "a:b", "x/./y", "example.png", "ComfyUI",
    ];

    private static readonly string[] Unicode =
    [
        "\U0001F600\U0001F680", "\u202Egnp.exe", "e\u0301\u0301\u0301", "\uFEFF", "\u200B\u200C\u200D", "\uD800", "\uDFFF",
        "日本語のプロンプト", "ℌ𝔢𝔩𝔩𝔬", "\t\r\n", "'\"\\", "${jndi:ldap://x}", "%s%n%x", "<script>", "a\u0001b",
    ];

    private static readonly string[] NumberWords = ["NaN", "-NaN", "Infinity", "-Infinity", "1e999", "-1e999", "0x10", "1_000", "+5", " 7 ", "5.5", "-0"];

    private static readonly string[] RawTokens = ["1e999", "-1e999", "1e-999", "NaN", "Infinity", "-Infinity", "0.0000000000000000000001", "123456789012345678901234567890"];

    private static readonly JsonNode?[] Numbers =
    [
        0, -1, 1, 2, 3, 7, 8, 15, 16, 17, 63, 64, 65, 255, 256, 512, 513, 4096, 16384, 16385, int.MaxValue, int.MinValue,
        long.MaxValue, long.MinValue, 9_007_199_254_740_993L, 1.5, -0.5, 0.01, 0.001, 1e308, -1e308, 5e-324, 9.3e18, -9.3e18, 1e19,
        ulong.MaxValue, decimal.MaxValue,
    ];

    public static Gen<JsonNode?> Number { get; } = Gen.Frequency(
        (6, Gen.OneOf(Numbers).Select(n => n?.DeepClone())),
        (2, Gen.Int.Select(i => (JsonNode?)JsonValue.Create(i))),
        (1, Gen.Long.Select(l => (JsonNode?)JsonValue.Create(l))),
        (1, Gen.Double.Select(d => double.IsFinite(d) ? (JsonNode?)JsonValue.Create(d) : null)),
        (2, Gen.OneOf(RawTokens).Select(t => (JsonNode?)JsonValue.Create(RawPrefix + t))));

    public static Gen<JsonNode?> Text { get; } = Gen.Frequency(
        (4, Gen.OneOf(PathLike).Select(s => (JsonNode?)JsonValue.Create(s))),
        (3, Gen.OneOf(Unicode).Select(s => (JsonNode?)JsonValue.Create(s))),
        (2, Gen.OneOf(NumberWords).Select(s => (JsonNode?)JsonValue.Create(s))),
        (2, Gen.String.Select(s => (JsonNode?)JsonValue.Create(s))),
        (1, Gen.Int[1, 20_000].Select(n => (JsonNode?)JsonValue.Create(new string('A', n)))),
        (1, Gen.Int[1, 400].Select(n => (JsonNode?)JsonValue.Create(string.Concat(Enumerable.Repeat("../", n)) + "etc/passwd"))));

    /// <summary>Arrays shaped almost like a link ([id, index]) and other structures where a scalar is expected.</summary>
    public static Gen<JsonNode?> Structure { get; } = Gen.OneOf(
        Gen.Const(() => (JsonNode?)new JsonArray()),
        Gen.Const(() => (JsonNode?)new JsonArray(1, 2, 3)),
        Gen.Const(() => (JsonNode?)new JsonArray("1")),
        Gen.Const(() => (JsonNode?)new JsonArray(null, null)),
        Gen.Const(() => (JsonNode?)new JsonArray("1", "0")),
        Gen.Const(() => (JsonNode?)new JsonArray(1, 0)),
        Gen.Const(() => (JsonNode?)new JsonArray("1", 0.5)),
        Gen.Const(() => (JsonNode?)new JsonArray("1", 0, 0)),
        Gen.Const(() => (JsonNode?)new JsonArray(new JsonArray("1", 0), 0)),
        Gen.Const(() => (JsonNode?)new JsonObject()),
        Gen.Const(() => (JsonNode?)new JsonObject { ["class_type"] = "EmptyImage" }),
        Gen.Int[1, 60].Select(depth => Nest(depth)));

    /// <summary>Values near the valid ranges, so that mutants also validate and run (sizes, radii, scales, choices).</summary>
    public static Gen<JsonNode?> Plausible { get; } = Gen.Frequency(
        (4, Gen.Int[0, 300].Select(i => (JsonNode?)JsonValue.Create(i))),
        (3, Gen.Double[0, 9].Select(d => (JsonNode?)JsonValue.Create(Math.Round(d, 3)))),
        (2, Gen.OneOf("nearest-exact", "bilinear", "area", "bicubic", "lanczos", "disabled", "center", "example.png", "tiny.pth", "out/x").Select(s => (JsonNode?)JsonValue.Create(s))),
        (1, Gen.Bool.Select(b => (JsonNode?)JsonValue.Create(b))));

    public static Gen<JsonNode?> Any { get; } = Gen.Frequency(
        (5, Number),
        (5, Text),
        (3, Structure),
        (1, Gen.Bool.Select(b => (JsonNode?)JsonValue.Create(b))),
        (1, Gen.Const((JsonNode?)null)));

    private static JsonNode? Nest(int depth)
    {
        JsonNode node = new JsonArray(1);
        for (var i = 0; i < depth; i++)
        {
            node = i % 2 == 0 ? new JsonArray(node) : new JsonObject { ["x"] = node };
        }

        return node;
    }
}
