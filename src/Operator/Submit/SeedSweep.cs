using System.Globalization;
using System.Text.Json.Nodes;

namespace ComfySnap.Operator.Submit;

/// <summary>A seed range FROM..TO (inclusive) applied to every KSampler (seed) and KSamplerAdvanced (noise_seed).</summary>
public sealed record SeedSweep(long From, long To)
{
    public static SeedSweep Parse(string text)
    {
        var parts = text.Split("..", 2);
        if (parts.Length != 2
            || !long.TryParse(parts[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var from)
            || !long.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var to)
            || from < 0 || to < from)
        {
            throw new ArgumentException($"--seed-sweep must be FROM..TO with 0 <= FROM <= TO, got '{text}'");
        }

        return new SeedSweep(from, to);
    }

    public IEnumerable<long> Seeds()
    {
        for (var s = From; s <= To; s++)
        {
            yield return s;
        }
    }

    /// <summary>The workflow with every sampler's seed set; null when it has no KSampler/KSamplerAdvanced.</summary>
    public static string? Apply(string workflow, long seed)
    {
        if (JsonNode.Parse(workflow) is not JsonObject graph)
        {
            return null;
        }

        var changed = false;
        foreach (var (_, node) in graph)
        {
            if (node is not JsonObject n || n["inputs"] is not JsonObject inputs)
            {
                continue;
            }

            var input = n["class_type"]?.GetValue<string>() switch
            {
                "KSampler" => "seed",
                "KSamplerAdvanced" => "noise_seed",
                _ => null,
            };
            if (input is not null)
            {
                inputs[input] = seed;
                changed = true;
            }
        }

        return changed ? graph.ToJsonString() : null;
    }
}
