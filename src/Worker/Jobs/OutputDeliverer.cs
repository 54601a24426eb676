using ComfySnap.Contracts;
using ComfySnap.Worker.Caching;
using ComfySnap.Engine.Execution;
using Microsoft.Extensions.Logging;

namespace ComfySnap.Worker.Jobs;

/// <summary>
/// Turns engine outputs (or a cached result) into <see cref="OutputFile"/>s: inline up to the size
/// limit, else a cache key (claim check). When the cache cannot take a large file it goes inline.
/// </summary>
public sealed class OutputDeliverer(ResultStore store, ILogger<OutputDeliverer> logger)
{
    public async Task<(IReadOnlyList<OutputFile> Files, CachedResult? Cached)> DeliverAsync(
        IReadOnlyList<WorkflowOutput> outputs, long maxInline, bool storeInCache, CancellationToken cancellationToken)
    {
        var files = new List<OutputFile>();
        var cached = new List<CachedOutput>();
        foreach (var output in outputs)
        {
            var artifact = output.Artifact;
            var bytes = artifact.Bytes;
            var inline = bytes.Length <= maxInline;
            CachedOutput? blob = null;
            if (storeInCache || !inline)
            {
                blob = await store.PutOutputAsync(output.NodeId, artifact.FileName, artifact.ContentType, bytes, cancellationToken).ConfigureAwait(false);
                if (blob is null && !inline)
                {
                    logger.LogWarning("Output {FileName} ({Size} bytes) sent inline: the output cache is unavailable", artifact.FileName, bytes.Length);
                    inline = true;
                }
            }

            if (blob is not null)
            {
                cached.Add(blob);
            }

            var sha = blob?.Sha256 ?? ResultStore.Sha256Hex(bytes.Span);
            files.Add(new OutputFile(output.NodeId, artifact.FileName, artifact.ContentType, bytes.Length, sha,
                inline ? bytes.ToArray() : null, inline ? null : blob!.BlobKey, inline ? null : blob!.ExpiresAt));
        }

        return (files, storeInCache && cached.Count == outputs.Count ? new CachedResult(cached) : null);
    }

    /// <summary>Rebuilds the files of a cached result; null when a blob needed inline has expired (a miss).</summary>
    public async Task<IReadOnlyList<OutputFile>?> FromCacheAsync(CachedResult result, long maxInline, CancellationToken cancellationToken)
    {
        var files = new List<OutputFile>();
        foreach (var o in result.Outputs)
        {
            if (o.Size <= maxInline)
            {
                var bytes = await store.GetBlobAsync(o.BlobKey, cancellationToken).ConfigureAwait(false);
                if (bytes is null || bytes.Length != o.Size)
                {
                    return null;
                }

                files.Add(new OutputFile(o.NodeId, o.FileName, o.ContentType, o.Size, o.Sha256, bytes, null, null));
            }
            else
            {
                files.Add(new OutputFile(o.NodeId, o.FileName, o.ContentType, o.Size, o.Sha256, null, o.BlobKey, o.ExpiresAt));
            }
        }

        return files;
    }
}
