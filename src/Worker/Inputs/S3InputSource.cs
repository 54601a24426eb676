using Amazon.Runtime;
using ComfySnap.Worker.Delivery;
using ComfySnap.Worker.Jobs;
using Microsoft.Extensions.Options;

namespace ComfySnap.Worker.Inputs;

/// <summary><c>s3://bucket/key</c> inputs, read with the worker's object store client (<c>ObjectStore:*</c>), at most <c>ObjectStore:MaxInputBytes</c>.</summary>
public sealed class S3InputSource(IObjectStore store, IOptions<ObjectStoreOptions> options) : IInputSource
{
    public IReadOnlyCollection<string> Schemes { get; } = ["s3"];

    public async Task<byte[]> ReadAsync(Uri uri, CancellationToken cancellationToken)
    {
        var reference = uri.OriginalString;
        if (!options.Value.IsConfigured)
        {
            throw new InputFileException($"input '{reference}': this worker has no object store (ObjectStore:ServiceUrl)");
        }

        var (bucket, key) = Parse(reference) ?? throw new InputFileException($"input '{reference}' is not s3://bucket/key");
        try
        {
            return await store.GetAsync(bucket, key, options.Value.MaxInputBytes, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is FileNotFoundException or ObjectTooLargeException || (e is AmazonServiceException && !OutputUploader.IsTransient(e)))
        {
            throw new InputFileException($"input '{reference}' could not be read: {e.Message}");
        }
    }

    /// <summary>Bucket and key of <c>s3://bucket/key</c>, the key taken as written (not URL-decoded); null when either is missing or the bucket name is invalid.</summary>
    public static (string Bucket, string Key)? Parse(string reference)
    {
        const string scheme = "s3://";
        if (!reference.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var rest = reference[scheme.Length..];
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == rest.Length - 1)
        {
            return null;
        }

        var bucket = rest[..slash];
        return ObjectKeys.BucketProblem(bucket) is null ? (bucket, rest[(slash + 1)..]) : null;
    }
}
