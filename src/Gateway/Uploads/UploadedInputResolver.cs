using System.Text.Json.Nodes;
using ComfySnap.Contracts;
using ComfySnap.Gateway.State;
using ComfySnap.NodeSdk;
using ComfySnap.Worker.Engine.Nodes;

namespace ComfySnap.Gateway.Uploads;

/// <summary>The uploads a prompt uses: input-folder file inputs (LoadImage's image, ...) whose value names an upload.</summary>
/// <param name="Names">The names, for validation.</param>
/// <param name="Files">The job input files that carry them to the worker (bytes by Redis key).</param>
public sealed record UploadedInputs(IReadOnlySet<string> Names, IReadOnlyList<JobInputFile> Files);

/// <summary>Finds the uploaded files a prompt names, so they travel with its RunWorkflow.</summary>
public sealed class UploadedInputResolver(NodeRegistry registry, OutputFileStore files)
{
    public async Task<UploadedInputs> ResolveAsync(JsonObject prompt)
    {
        var found = new Dictionary<string, JobInputFile>(StringComparer.Ordinal);
        foreach (var (_, value) in prompt)
        {
            if (value is not JsonObject node || node["inputs"] is not JsonObject inputs
                || node["class_type"] is not JsonValue type || !type.TryGetValue<string>(out var classType)
                || !registry.TryGet(classType, out var definition))
            {
                continue;
            }

            foreach (var spec in definition.Inputs.Where(s => s.FileSource == FileSource.InputFolder))
            {
                if (inputs[spec.Name] is not JsonValue given || !given.TryGetValue<string>(out var name) || found.ContainsKey(name))
                {
                    continue;
                }

                var slash = name.LastIndexOf('/');
                if (await files.FindAsync("input", slash >= 0 ? name[..slash] : "", name[(slash + 1)..]).ConfigureAwait(false) is { } stored
                    && await files.SizeAsync(stored).ConfigureAwait(false) is { } size)
                {
                    found[name] = new JobInputFile(name, stored.Sha256, size, RedisKey: stored.Key);
                }
            }
        }

        return new UploadedInputs(found.Keys.ToHashSet(StringComparer.Ordinal), [.. found.Values]);
    }
}
