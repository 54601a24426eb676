using System.Text.Json.Nodes;
using ComfySnap.Contracts;
using ComfySnap.Engine.Catalog;
using ComfySnap.Gateway.Catalog;
using ComfySnap.Gateway.State;

namespace ComfySnap.Gateway.Uploads;

/// <summary>The uploads a prompt uses: input-folder file inputs (LoadImage's image, ...) whose value names an upload.</summary>
/// <param name="Names">The names, for validation.</param>
/// <param name="Files">The job input files that carry them to the worker (bytes by Redis key).</param>
public sealed record UploadedInputs(IReadOnlySet<string> Names, IReadOnlyList<JobInputFile> Files);

/// <summary>Finds the uploaded files a prompt names, so they travel with its RunWorkflow.</summary>
public sealed class UploadedInputResolver(GatewayCatalog catalog, OutputFileStore files)
{
    public async Task<UploadedInputs> ResolveAsync(JsonObject prompt)
    {
        var found = new Dictionary<string, JobInputFile>(StringComparer.Ordinal);
        if (catalog.Current is not { } nodes)
        {
            return new UploadedInputs(found.Keys.ToHashSet(StringComparer.Ordinal), []);
        }

        foreach (var (_, _, name) in InputFolderReferences.In(prompt, nodes))
        {
            // A URL is fetched by the worker (InputUrls), never an upload.
            if (found.ContainsKey(name) || InputUrls.TryParse(name, out _))
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

        return new UploadedInputs(found.Keys.ToHashSet(StringComparer.Ordinal), [.. found.Values]);
    }
}
