using System.Net;
using Amazon.Runtime;
using ComfySnap.Contracts;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;

namespace ComfySnap.Worker.Delivery;

/// <summary>
/// Writes a job's outputs to its bucket: one PutObject per file under a key fixed by the job
/// (<see cref="ObjectKeys.For"/>), each retried with backoff on transient faults
/// (<c>ObjectStore:UploadAttempts</c>). When a file still fails, the files of the job already
/// written are deleted again, so a failed job leaves nothing in the bucket, and
/// <see cref="OutputDeliveryException"/> names the bucket and the reason.
/// </summary>
public sealed class OutputUploader
{
    private readonly IObjectStore _store;
    private readonly ResiliencePipeline _retry;
    private readonly ILogger<OutputUploader> _logger;

    public OutputUploader(IObjectStore store, IOptions<ObjectStoreOptions> options, ILogger<OutputUploader> logger)
    {
        _store = store;
        _logger = logger;
        var o = options.Value;
        var builder = new ResiliencePipelineBuilder();
        if (o.UploadAttempts > 1)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = o.UploadAttempts - 1,
                Delay = o.RetryDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                ShouldHandle = new PredicateBuilder().Handle<Exception>(e => IsTransient(e)),
                OnRetry = args =>
                {
                    _logger.LogWarning("Upload attempt {Attempt} failed ({Reason}); retrying in {DelayMs:0} ms",
                        args.AttemptNumber + 1, Describe(args.Outcome.Exception), args.RetryDelay.TotalMilliseconds);
                    return default;
                },
            });
        }

        _retry = builder.Build();
    }

    /// <summary>
    /// Uploads every file (each must carry its bytes in <see cref="OutputFile.InlineBytes"/>) and returns
    /// them as object references: no bytes, no Redis key, the object's URL and <c>s3://</c> URI.
    /// </summary>
    public async Task<IReadOnlyList<OutputFile>> UploadAsync(ObjectTarget target, string jobId, IReadOnlyList<OutputFile> files, CancellationToken cancellationToken)
    {
        var written = new List<string>(files.Count);
        var result = new List<OutputFile>(files.Count);
        foreach (var file in files)
        {
            var bytes = file.InlineBytes ?? throw new ArgumentException($"output {file.FileName} has no bytes to upload", nameof(files));
            var key = ObjectKeys.For(target.KeyPrefix, jobId, file.FileName);
            try
            {
                await _retry.ExecuteAsync(
                    async token => await _store.PutAsync(target.Bucket, key, bytes, file.ContentType, file.Sha256, token).ConfigureAwait(false),
                    cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                await RemoveAsync(target.Bucket, written, cancellationToken).ConfigureAwait(false);
                throw new OutputDeliveryException(target.Bucket, $"{key}: {Describe(e)}", e);
            }

            written.Add(key);
            result.Add(file with { InlineBytes = null, RedisKey = null, ExpiresAt = null, Url = _store.UrlOf(target.Bucket, key), ObjectUri = $"s3://{target.Bucket}/{key}" });
            _logger.LogInformation("Output {FileName} ({Size} bytes) written to s3://{Bucket}/{Key}", file.FileName, file.Size, target.Bucket, key);
        }

        return result;
    }

    /// <summary>Best effort: a delete that fails is logged (the object is then complete, but unreferenced).</summary>
    private async Task RemoveAsync(string bucket, List<string> keys, CancellationToken cancellationToken)
    {
        foreach (var key in keys)
        {
            try
            {
                await _store.DeleteAsync(bucket, key, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _logger.LogWarning("Could not remove s3://{Bucket}/{Key} of the failed delivery: {Reason}", bucket, key, Describe(e));
            }
        }
    }

    /// <summary>Faults another attempt may not see: anything but a client error the store answered (missing bucket, refused credentials), 408 and 429 aside.</summary>
    public static bool IsTransient(Exception e) => e switch
    {
        AmazonServiceException { StatusCode: var status } when (int)status is >= 400 and < 500 => status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests,
        ArgumentException or InvalidOperationException => false,
        _ => true,
    };

    private static string Describe(Exception? e) => e switch
    {
        AmazonServiceException s when !string.IsNullOrEmpty(s.ErrorCode) => $"{s.ErrorCode} (HTTP {(int)s.StatusCode}): {s.Message}",
        null => "unknown",
        _ => e.InnerException is { } inner && e is AmazonClientException ? $"{e.Message} ({inner.Message})" : e.Message,
    };
}
