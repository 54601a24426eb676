using Amazon.Runtime;
using ComfySnap.Contracts;
using ComfySnap.Worker.Delivery;
using ComfySnap.Worker.Jobs;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ComfySnap.Worker.Inputs;

/// <summary>
/// <c>s3://bucket/key</c> inputs, read with the worker's object store client (<c>ObjectStore:*</c>), at
/// most <c>ObjectStore:MaxInputBytes</c>, and only a PNG, JPEG, WebP or GIF by its magic bytes (as an
/// http(s) input: the extension comes from the content, never from the key).
/// </summary>
public sealed class S3InputSource(IObjectStore store, IOptions<ObjectStoreOptions> options, ILogger<S3InputSource> logger) : IUrlInputSource
{
    public IReadOnlyCollection<string> Schemes { get; } = ["s3"];

    public async Task<FetchedInput> FetchAsync(Uri url, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(url);
        var reference = url.OriginalString;
        if (!options.Value.IsConfigured)
        {
            throw new InputFileException($"input '{reference}': this worker has no object store (ObjectStore:ServiceUrl)");
        }

        var (bucket, key) = Parse(reference) ?? throw new InputFileException($"input '{reference}' is not s3://bucket/key");
        byte[] bytes;
        try
        {
            bytes = await store.GetAsync(bucket, key, options.Value.MaxInputBytes, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is FileNotFoundException or ObjectTooLargeException || (e is AmazonServiceException && !OutputUploader.IsTransient(e)))
        {
            throw new InputFileException($"input '{reference}' could not be read: {e.Message}");
        }

        var extension = ImageMagic.Extension(bytes)
            ?? throw new InputFileException($"input '{reference}' is not a PNG, JPEG, WebP or GIF image (by its first bytes)");
        logger.LogInformation("Input {Uri} read: {Size} bytes ({Extension})", reference, bytes.Length, extension);
        return new FetchedInput(bytes, extension);
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
