using ComfySnap.Contracts;

namespace ComfySnap.Worker.Fleet;

/// <summary>Which configured model-set snapshot (Snapshot:ModelSets) a worker needing a set can be restored from.</summary>
public static class ModelSetSnapshots
{
    /// <summary>
    /// The name of the snapshot whose preloaded models include every model of <paramref name="needed"/>:
    /// the one with the fewest models (least memory held for nothing), then by name; or null with the reason.
    /// </summary>
    public static (string? Name, string? WhyNone) Fitting(IReadOnlyDictionary<string, List<string>> sets, ModelSet needed)
    {
        ArgumentNullException.ThrowIfNull(sets);
        ArgumentNullException.ThrowIfNull(needed);
        if (sets.Count == 0)
        {
            return (null, "no Snapshot:ModelSets configured");
        }

        var name = sets
            .Where(s => needed.Models.All(m => s.Value.Any(v => v.Replace('\\', '/') == m)))
            .OrderBy(s => s.Value.Count)
            .ThenBy(s => s.Key, StringComparer.Ordinal)
            .Select(s => s.Key)
            .FirstOrDefault();
        return name is not null
            ? (name, null)
            : (null, $"no snapshot in Snapshot:ModelSets ({string.Join(", ", sets.Keys.Order(StringComparer.Ordinal))}) preloads every model of {string.Join(", ", needed.Models)}");
    }
}
