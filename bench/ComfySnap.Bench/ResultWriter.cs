using System.Text.Json;

namespace ComfySnap.Bench;

/// <summary>Writes bench/results/SUITE.json (or FILENAME.json): the suite's keys, the machine and the command.</summary>
public static class ResultWriter
{
    private static readonly JsonSerializerOptions Options = new() { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    public static async Task<string> WriteAsync(string resultsDirectory, string suite, IReadOnlyList<string> options, IDictionary<string, object?> values, MachineInfo machine, CancellationToken ct, string? fileName = null)
    {
        Directory.CreateDirectory(resultsDirectory);
        var document = new Dictionary<string, object?>(values)
        {
            ["suite"] = suite,
            ["command"] = string.Join(' ', ["./comfysnap", "bench", suite, .. options]),
            ["finished_at"] = DateTimeOffset.UtcNow,
            ["machine"] = machine,
        };
        var path = Path.Combine(resultsDirectory, (fileName ?? suite) + ".json");
        await File.WriteAllTextAsync(path, JsonSerializer.Serialize(document, Options), ct);
        return path;
    }
}
