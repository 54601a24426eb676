using System.Text.Json;
using System.Text.Json.Nodes;

namespace ComfySnap.Operator.Submit;

/// <summary>
/// Reads the workflows to submit: .json files (ComfyUI API format), folders (their *.json and
/// *.jsonl, sorted) and .jsonl files (one workflow per line, or {"name":..., "workflow":{...}}).
/// </summary>
public static class WorkflowSource
{
    public static async Task<IReadOnlyList<WorkflowItem>> ReadAsync(IEnumerable<string> paths, CancellationToken cancellationToken)
    {
        var items = new List<WorkflowItem>();
        foreach (var path in paths)
        {
            if (Directory.Exists(path))
            {
                var files = Directory.EnumerateFiles(path)
                    .Where(f => f.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase))
                    .Order(StringComparer.Ordinal);
                foreach (var file in files)
                {
                    items.AddRange(await ReadFileAsync(file, cancellationToken));
                }
            }
            else if (File.Exists(path))
            {
                items.AddRange(await ReadFileAsync(path, cancellationToken));
            }
            else
            {
                throw new FileNotFoundException($"no such file or folder: {path}", path);
            }
        }

        return items;
    }

    private static async Task<IReadOnlyList<WorkflowItem>> ReadFileAsync(string file, CancellationToken cancellationToken)
    {
        var stem = Path.GetFileNameWithoutExtension(file);
        if (!file.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase))
        {
            return [new WorkflowItem(stem, await File.ReadAllTextAsync(file, cancellationToken))];
        }

        var items = new List<WorkflowItem>();
        var number = 0;
        foreach (var line in await File.ReadAllLinesAsync(file, cancellationToken))
        {
            number++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            items.Add(FromLine(line, $"{stem}-{number:D5}", file, number));
        }

        return items;
    }

    private static WorkflowItem FromLine(string line, string defaultName, string file, int number)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(line);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{file}:{number}: not JSON ({e.Message})", e);
        }

        if (node is JsonObject o && o["workflow"] is JsonObject workflow)
        {
            var name = o["name"]?.GetValue<string>() is { Length: > 0 } n ? n : defaultName;
            return new WorkflowItem(name, workflow.ToJsonString());
        }

        return new WorkflowItem(defaultName, line);
    }
}
