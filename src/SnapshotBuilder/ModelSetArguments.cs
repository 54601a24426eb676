using ComfySnap.Snapshots;

namespace ComfySnap.SnapshotBuilder;

/// <summary>
/// `--model-set NAME=kind/a,kind/b`: one snapshot per model set, each in OUT/NAME with its own
/// manifest, preloading the set's models (the names and lists the workers' Snapshot:ModelSets repeat).
/// </summary>
public static class ModelSetArguments
{
    /// <summary>Name -> models, in the order given; throws <see cref="FormatException"/> naming the bad argument.</summary>
    public static IReadOnlyList<(string Name, IReadOnlyList<string> Models)> Parse(IEnumerable<string> arguments)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var sets = new List<(string Name, IReadOnlyList<string> Models)>();
        foreach (var argument in arguments)
        {
            var equals = argument.IndexOf('=', StringComparison.Ordinal);
            var name = equals < 0 ? argument : argument[..equals];
            if (equals < 0 || !SwitchProtocol.IsName(name))
            {
                throw new FormatException($"--model-set '{argument}' must be NAME=kind/name[,kind/name...], NAME of letters, digits, '-', '_' or '.'");
            }

            var models = argument[(equals + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (models.Length == 0 || models.Any(m => !m.Contains('/', StringComparison.Ordinal)))
            {
                throw new FormatException($"--model-set '{argument}': list its models as kind/name, e.g. {name}=checkpoints/model.safetensors");
            }

            if (sets.Any(s => s.Name == name))
            {
                throw new FormatException($"--model-set '{name}' is given twice");
            }

            sets.Add((name, models));
        }

        return sets;
    }
}
