using System.Security.Cryptography;
using System.Text.Json;
using ComfySnap.Contracts;
using Microsoft.Extensions.Options;

namespace ComfySnap.Worker.Caching;

/// <summary>An output file as kept in the cache: its bytes live under <see cref="BlobKey"/>.</summary>
public sealed record CachedOutput(string NodeId, string FileName, string ContentType, long Size, string Sha256, string BlobKey, DateTimeOffset ExpiresAt);

/// <summary>A cached workflow result: the outputs of one run of a workflow key.</summary>
public sealed record CachedResult(IReadOnlyList<CachedOutput> Outputs);

/// <summary>
/// The worker's view of the output cache: output blobs (by sha256), workflow results (by workflow
/// key) and completed-job answers (by JobId), all with the configured TTL.
/// </summary>
public sealed class ResultStore(IOutputCache cache, IOptions<CacheOptions> options, TimeProvider time)
{
    private CacheOptions Options => options.Value;

    public string BlobKey(string sha256) => $"{Options.KeyPrefix}output:{sha256}";

    public static string Sha256Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>Stores an output's bytes; null when the cache could not take them.</summary>
    public async Task<CachedOutput?> PutOutputAsync(string nodeId, string fileName, string contentType, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        var sha = Sha256Hex(bytes.Span);
        var key = BlobKey(sha);
        var expires = time.GetUtcNow() + Options.Ttl;
        return await cache.SetAsync(key, bytes, Options.Ttl, cancellationToken).ConfigureAwait(false)
            ? new CachedOutput(nodeId, fileName, contentType, bytes.Length, sha, key, expires)
            : null;
    }

    public Task<byte[]?> GetBlobAsync(string key, CancellationToken cancellationToken) => cache.GetAsync(key, cancellationToken);

    public Task<CachedResult?> GetResultAsync(string workflowKey, CancellationToken cancellationToken) =>
        GetJsonAsync<CachedResult>($"{Options.KeyPrefix}result:{workflowKey}", cancellationToken);

    public Task<bool> PutResultAsync(string workflowKey, CachedResult result, CancellationToken cancellationToken) =>
        PutJsonAsync($"{Options.KeyPrefix}result:{workflowKey}", result, cancellationToken);

    /// <summary>How long results and answers are kept.</summary>
    public TimeSpan Ttl => Options.Ttl;

    /// <summary>The job's idempotency record: its answer, stored once (fenced by its lease, see <c>IJobLeases.CommitAnswerAsync</c>).</summary>
    public string CompletedJobKey(string jobId) => JobKeys.Answer(Options.KeyPrefix, jobId);

    public Task<WorkflowCompleted?> GetCompletedJobAsync(string jobId, CancellationToken cancellationToken) =>
        GetJsonAsync<WorkflowCompleted>(CompletedJobKey(jobId), cancellationToken);

    /// <summary>Stores an answer without a lease (no lease store): the last writer wins.</summary>
    public Task<bool> PutCompletedJobAsync(WorkflowCompleted completed, CancellationToken cancellationToken) =>
        PutJsonAsync(CompletedJobKey(completed.JobId), completed, cancellationToken);

    public static byte[] SerializeCompletedJob(WorkflowCompleted completed) => JsonSerializer.SerializeToUtf8Bytes(completed);

    /// <summary>A stored answer read back; null when another version wrote it.</summary>
    public static WorkflowCompleted? ReadCompletedJob(byte[] bytes) => Read<WorkflowCompleted>(bytes);

    private async Task<T?> GetJsonAsync<T>(string key, CancellationToken cancellationToken)
        where T : class
    {
        var bytes = await cache.GetAsync(key, cancellationToken).ConfigureAwait(false);
        return bytes is null ? null : Read<T>(bytes);
    }

    private static T? Read<T>(byte[] bytes)
        where T : class
    {
        try
        {
            return JsonSerializer.Deserialize<T>(bytes);
        }
        catch (JsonException)
        {
            return null; // written by another version: a miss
        }
    }

    private Task<bool> PutJsonAsync<T>(string key, T value, CancellationToken cancellationToken) =>
        cache.SetAsync(key, JsonSerializer.SerializeToUtf8Bytes(value), Options.Ttl, cancellationToken);
}
