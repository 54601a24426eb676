using System.Text.Json;
using System.Text.Json.Nodes;
using CsCheck;

namespace ComfySnap.Tests.Fuzz;

/// <summary>
/// Generates mutated workflows (as JSON text) from seed workflows: every mutation is drawn by
/// CsCheck, so one PCG seed replays the same workflow.
/// </summary>
public sealed class WorkflowMutator(IReadOnlyList<JsonObject> seeds, IReadOnlyList<string> classTypes)
{
    private static readonly string[] WeirdIds = ["", "999", "-1", "0", "prompt", "../1", "\U0001F600", "1 ", " 1", "01", "1.0", "\u0000", "a/b"];

    private static readonly string[] UnknownClassTypes = ["NoSuchNode", "saveimage", "SaveImage ", "", "\u0000", "../SaveImage", "KSampler\U0001F600"];

    private static readonly JsonSerializerOptions Writer = new() { MaxDepth = 256 };

    /// <summary>One mutated workflow, as the text a publisher would send.</summary>
    public Gen<string> Workflow => Gen.Frequency(
        (20, Mutated),
        (2, Gen.Int[0, seeds.Count - 1].SelectMany(s => Gen.Int[0, 4000], (s, cut) => Truncate(Serialize(seeds[s]), cut))),
        (1, Gen.OneOf("[]", "1", "\"x\"", "null", "{}", "true", "", " ", "{\"1\":", "{\"1\":null}", "{\"1\":[]}", "{\"1\":{\"inputs\":{}}}", "{\"1\":{\"class_type\":5}}", "{\"prompt\":{}}", "\uFEFF{}")));

    private Gen<string> Mutated => Gen.Int[0, seeds.Count - 1]
        .SelectMany(s => Mutation.Array[0, 3], (s, mutations) => (s, mutations))
        .Select(t =>
        {
            var workflow = (JsonObject)seeds[t.s].DeepClone();
            foreach (var mutation in t.mutations)
            {
                mutation(workflow);
            }

            return Serialize(workflow);
        });

    private Gen<Action<JsonObject>> Mutation => Gen.Frequency(
        (8, Gen.Select(Gen.Int, Gen.Int, HostileValues.Any, (n, i, v) => (Action<JsonObject>)(w => SetInput(w, n, i, v)))),
        (8, Gen.Select(Gen.Int, Gen.Int, HostileValues.Plausible, (n, i, v) => (Action<JsonObject>)(w => SetInput(w, n, i, v)))),
        (3, Gen.Select(Gen.Int, Gen.Int, (n, i) => (Action<JsonObject>)(w => Inputs(w, n)?.Remove(NameAt(Inputs(w, n)!, i) ?? "")))),
        (2, Gen.Select(Gen.Int, Gen.String, HostileValues.Any, (n, name, v) => (Action<JsonObject>)(w => Inputs(w, n)?.TryAdd(name, v)))),
        (4, Gen.Select(Gen.Int, Gen.Int, Gen.Int, (n, i, c) => (Action<JsonObject>)(w => SetClassType(w, n, c)))),
        (6, Gen.Select(Gen.Int, Gen.Int, Gen.Int, Gen.OneOf(0, 1, 2, 3, -1, 99, int.MaxValue), (n, i, t, o) => (Action<JsonObject>)(w => Relink(w, n, i, t, o)))),
        (2, Gen.Select(Gen.Int, Gen.OneOf(WeirdIds), (n, id) => (Action<JsonObject>)(w => RenameNode(w, n, id)))),
        (2, Gen.Select(Gen.Int, Gen.OneOf(WeirdIds), (n, id) => (Action<JsonObject>)(w => Duplicate(w, n, id)))),
        (2, Gen.Int.Select(n => (Action<JsonObject>)(w => RemoveNode(w, n)))),
        (2, Gen.Select(Gen.Int, Gen.Int[0, 4], (n, how) => (Action<JsonObject>)(w => BreakNode(w, n, how)))),
        (2, Gen.Select(Gen.Int, Gen.Int[1, 90], (n, length) => (Action<JsonObject>)(w => AppendChain(w, n, length)))),
        (1, Gen.Select(Gen.Int, Gen.Int[1, 90], (n, width) => (Action<JsonObject>)(w => AddWideOutputs(w, n, width)))),
        (1, Gen.Select(Gen.Int, Gen.Int, (a, b) => (Action<JsonObject>)(w => MakeCycle(w, a, b)))));

    /// <summary>Writes JSON with the raw tokens (NaN, 1e999) HostileValues marked, which JsonNode cannot hold.</summary>
    public static string Serialize(JsonNode node)
    {
        var text = node.ToJsonString(Writer);
        var marker = JsonSerializer.Serialize(HostileValues.RawPrefix, Writer)[1..^1];
        var at = text.IndexOf(marker, StringComparison.Ordinal);
        while (at >= 0)
        {
            var end = text.IndexOf('"', at);
            var token = text[(at + marker.Length)..end];
            text = string.Concat(text.AsSpan(0, at - 1), token, text.AsSpan(end + 1));
            at = text.IndexOf(marker, StringComparison.Ordinal);
        }

        return text;
    }

    private static string Truncate(string text, int cut) => text[..Math.Min(text.Length, cut % (text.Length + 1))];

    private static KeyValuePair<string, JsonNode?>? NodeAt(JsonObject w, int n) =>
        w.Count == 0 ? null : w.ElementAt((int)((uint)n % (uint)w.Count));

    private static JsonObject? Inputs(JsonObject w, int n) =>
        NodeAt(w, n)?.Value is JsonObject node && node["inputs"] is JsonObject inputs ? inputs : null;

    private static string? NameAt(JsonObject inputs, int i) =>
        inputs.Count == 0 ? null : inputs.ElementAt((int)((uint)i % (uint)inputs.Count)).Key;

    private static void SetInput(JsonObject w, int n, int i, JsonNode? value)
    {
        if (Inputs(w, n) is { } inputs && NameAt(inputs, i) is { } name)
        {
            inputs[name] = value;
        }
    }

    private void SetClassType(JsonObject w, int n, int c)
    {
        if (NodeAt(w, n)?.Value is JsonObject node)
        {
            node["class_type"] = c % 5 == 0
                ? UnknownClassTypes[(int)((uint)c % (uint)UnknownClassTypes.Length)]
                : classTypes[(int)((uint)c % (uint)classTypes.Count)];
        }
    }

    private static void Relink(JsonObject w, int n, int i, int target, int output)
    {
        if (Inputs(w, n) is not { } inputs || NameAt(inputs, i) is not { } name)
        {
            return;
        }

        var targetId = ((uint)target % 4) switch
        {
            0 => "999",
            1 => NodeAt(w, n)!.Value.Key,
            _ => NodeAt(w, target)!.Value.Key,
        };
        inputs[name] = new JsonArray(targetId, output);
    }

    private static void RenameNode(JsonObject w, int n, string id)
    {
        if (NodeAt(w, n) is { } node && !w.ContainsKey(id))
        {
            w.Remove(node.Key);
            w[id] = node.Value;
        }
    }

    private static void Duplicate(JsonObject w, int n, string id)
    {
        if (NodeAt(w, n) is { } node && !w.ContainsKey(id))
        {
            w[id] = node.Value?.DeepClone();
        }
    }

    private static void RemoveNode(JsonObject w, int n)
    {
        if (NodeAt(w, n) is { } node)
        {
            w.Remove(node.Key);
        }
    }

    private static void BreakNode(JsonObject w, int n, int how)
    {
        if (NodeAt(w, n) is not { } node)
        {
            return;
        }

        switch (how)
        {
            case 0 when node.Value is JsonObject o: o.Remove("class_type"); break;
            case 1 when node.Value is JsonObject o: o.Remove("inputs"); break;
            case 2 when node.Value is JsonObject o: o["inputs"] = new JsonArray(1, 2); break;
            case 3: w[node.Key] = 42; break;
            default: w[node.Key] = null; break;
        }
    }

    // A long chain of image nodes hanging off an existing node (deep graphs, the MaxNodes limit).
    private static void AppendChain(JsonObject w, int n, int length)
    {
        var from = NodeAt(w, n)?.Key ?? "1";
        for (var k = 0; k < length; k++)
        {
            var id = $"chain{k}";
            w[id] = new JsonObject { ["class_type"] = k % 3 == 2 ? "ImageBlur" : "ImageInvert", ["inputs"] = new JsonObject { ["image"] = new JsonArray(from, 0), ["blur_radius"] = 1, ["sigma"] = 0.5 } };
            from = id;
        }

        w["chain-out"] = new JsonObject { ["class_type"] = "PreviewImage", ["inputs"] = new JsonObject { ["images"] = new JsonArray(from, 0) } };
    }

    // Many output nodes reading one node (wide graphs).
    private static void AddWideOutputs(JsonObject w, int n, int width)
    {
        var from = NodeAt(w, n)?.Key ?? "1";
        for (var k = 0; k < width; k++)
        {
            w[$"wide{k}"] = new JsonObject { ["class_type"] = "PreviewImage", ["inputs"] = new JsonObject { ["images"] = new JsonArray(from, 0) } };
        }
    }

    // Points one of a's link inputs at b, and one of b's at a: a cycle whenever both have links.
    private static void MakeCycle(JsonObject w, int a, int b)
    {
        if (NodeAt(w, a) is not { } na || NodeAt(w, b) is not { } nb)
        {
            return;
        }

        foreach (var (inputs, target) in new[] { (Inputs(w, a), nb.Key), (Inputs(w, b), na.Key) })
        {
            var link = inputs?.FirstOrDefault(p => p.Value is JsonArray { Count: 2 } arr && arr[0] is JsonValue);
            if (link is { Key: { } name } && inputs is not null)
            {
                inputs[name] = new JsonArray(target, 0);
            }
        }
    }
}
