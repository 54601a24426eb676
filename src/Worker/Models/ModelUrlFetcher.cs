using System.Text.Json.Nodes;
using ComfySnap.Engine.Nodes;
using ComfySnap.NodeSdk;

namespace ComfySnap.Worker.Models;

/// <summary>
/// Before a workflow is validated: downloads every pinned model URL its model inputs name
/// (<see cref="ModelUrl"/>) into the <see cref="ModelUrlCache"/>, so validation and the loaders find
/// the files. An unpinned URL, an unknown node or a workflow that does not parse is left to validation.
/// </summary>
public sealed class ModelUrlFetcher(ModelUrlCache cache, NodeRegistry registry)
{
    /// <summary>Throws <see cref="Jobs.InputFileException"/> with the reason when a model URL cannot be had.</summary>
    public async Task FetchAsync(string workflowJson, CancellationToken cancellationToken)
    {
        if (!workflowJson.Contains("://", StringComparison.Ordinal))
        {
            return;
        }

        foreach (var url in In(workflowJson, registry).DistinctBy(u => u.Sha256))
        {
            await cache.EnsureAsync(url, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The pinned model URLs a workflow's model inputs name.</summary>
    public static IEnumerable<ModelUrl> In(string workflowJson, NodeRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        JsonObject? workflow;
        try
        {
            workflow = JsonNode.Parse(workflowJson) as JsonObject;
        }
        catch (System.Text.Json.JsonException)
        {
            yield break;
        }

        foreach (var (_, value) in workflow ?? [])
        {
            if (value is not JsonObject node || node["inputs"] is not JsonObject inputs
                || node["class_type"] is not JsonValue type || !type.TryGetValue<string>(out var classType)
                || registry.Find(classType) is not { } definition)
            {
                continue;
            }

            foreach (var spec in definition.Inputs.Where(s => s.FileSource == FileSource.Model))
            {
                if (inputs[spec.Name] is JsonValue given && given.TryGetValue<string>(out var name)
                    && ModelUrl.LooksLikeUrl(name) && ModelUrl.TryParse(name, out _) is { } url)
                {
                    yield return url;
                }
            }
        }
    }
}
