using System.Text.Json.Nodes;
using ComfySnap.Diffusion.Models;
using ComfySnap.Engine.Nodes;
using ComfySnap.NodeSdk;

namespace ComfySnap.Worker.Models;

/// <summary>
/// Before a workflow runs (after its output-cache lookup missed): downloads every pinned model URL its
/// model inputs name (<see cref="ModelUrl"/>) into the <see cref="ModelUrlCache"/>, so the loaders find
/// the files. An unpinned URL, an unknown node or a workflow that does not parse is left to validation.
/// </summary>
public sealed class ModelUrlFetcher(ModelUrlCache cache, NodeRegistry registry)
{
    // A file evicted by another process between EnsureAsync and the shared lock is fetched again, this often.
    private const int Attempts = 3;

    /// <summary>
    /// Downloads what is missing and returns shared locks on the files, to hold until the job ends: the
    /// cache never evicts a locked file, so another process cannot remove it between the download and
    /// the load. Throws <see cref="Jobs.InputFileException"/> with the reason when a model URL cannot be had.
    /// </summary>
    public async Task<IDisposable> FetchAsync(string workflowJson, CancellationToken cancellationToken)
    {
        var held = new HeldModelFiles();
        if (!workflowJson.Contains("://", StringComparison.Ordinal))
        {
            return held;
        }

        try
        {
            foreach (var url in In(workflowJson, registry).DistinctBy(u => u.Sha256))
            {
                held.Add(await EnsureHeldAsync(url, cancellationToken).ConfigureAwait(false));
            }

            return held;
        }
        catch
        {
            held.Dispose();
            throw;
        }
    }

    private async Task<FileLock> EnsureHeldAsync(ModelUrl url, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var path = await cache.EnsureAsync(url, cancellationToken).ConfigureAwait(false);
            if (FileLock.TryTake(path, exclusive: false) is { } use)
            {
                return use;
            }

            if (attempt == Attempts)
            {
                throw new Jobs.InputFileException($"model URL {url.Shown} was evicted from the model cache {Attempts} times before this job could hold it: Models:Download:MaxCacheBytes is too small for the models in use");
            }
        }
    }

    /// <summary>The shared locks of one job's downloaded models.</summary>
    private sealed class HeldModelFiles : IDisposable
    {
        private readonly List<FileLock> _locks = [];

        public void Add(FileLock use) => _locks.Add(use);

        public void Dispose()
        {
            foreach (var use in _locks)
            {
                use.Dispose();
            }

            _locks.Clear();
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
