namespace ComfySnap.SnapshotBuilder;

/// <summary>Parses the builder's `--setting Section:Key=Value` arguments into worker settings.</summary>
public static class WorkerSettings
{
    public static IReadOnlyDictionary<string, string> Parse(IEnumerable<string> arguments)
    {
        var settings = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var argument in arguments)
        {
            var equals = argument.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0 || !argument[..equals].Contains(':', StringComparison.Ordinal))
            {
                throw new FormatException($"--setting '{argument}' is not Section:Key=Value (e.g. Snapshot:TrimNativeHeap=false)");
            }

            settings[argument[..equals].Trim()] = argument[(equals + 1)..];
        }

        return settings;
    }
}
