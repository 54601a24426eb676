using System.ComponentModel.DataAnnotations;
using ComfySnap.Contracts;

namespace ComfySnap.Worker.Delivery;

/// <summary>
/// The S3-compatible object store outputs can be written to and <c>s3://</c> inputs are read from.
/// Bound from the "ObjectStore" configuration section and validated at start. The secret key is
/// never logged; give it as <c>COMFYSNAP_ObjectStore__SecretKey_FILE</c> in production.
/// </summary>
public sealed class ObjectStoreOptions : IValidatableObject
{
    public const string SectionName = "ObjectStore";

    /// <summary>The store's endpoint, e.g. <c>http://127.0.0.1:9010</c> or <c>https://s3.eu-west-1.amazonaws.com</c>; empty: no object store.</summary>
    public string? ServiceUrl { get; set; }

    /// <summary>The signing region (SigV4).</summary>
    [Required]
    public string Region { get; set; } = "us-east-1";

    /// <summary>Access key id; empty together with <see cref="SecretKey"/>: the AWS SDK's default credential chain.</summary>
    public string? AccessKey { get; set; }

    public string? SecretKey { get; set; }

    /// <summary>Path-style addresses (<c>endpoint/bucket/key</c>), which S3-compatible servers need; false: virtual-host style.</summary>
    public bool ForcePathStyle { get; set; } = true;

    /// <summary>Bucket every job's outputs go to unless its <c>Delivery.Bucket</c> names another; empty: only jobs that name one upload.</summary>
    public string? Bucket { get; set; }

    /// <summary>Prefix of the object keys; a job's <c>Delivery.KeyPrefix</c> replaces it.</summary>
    public string KeyPrefix { get; set; } = "";

    /// <summary>Attempts per object before the job fails with OutputDeliveryFailed.</summary>
    [Range(1, 10)]
    public int UploadAttempts { get; set; } = 3;

    /// <summary>Pause before the first retry, doubled for each further one.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Timeout of one request to the store.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Largest object an <c>s3://</c> input may be.</summary>
    [Range(1, long.MaxValue)]
    public long MaxInputBytes { get; set; } = 20L * 1024 * 1024;

    public bool IsConfigured => !string.IsNullOrWhiteSpace(ServiceUrl);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (IsConfigured && (!Uri.TryCreate(ServiceUrl, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https")))
        {
            yield return new ValidationResult($"ObjectStore:ServiceUrl '{ServiceUrl}' is not an http(s) URL", [nameof(ServiceUrl)]);
        }

        if (string.IsNullOrEmpty(AccessKey) != string.IsNullOrEmpty(SecretKey))
        {
            yield return new ValidationResult("ObjectStore:AccessKey and ObjectStore:SecretKey are set together (or neither, for the AWS default credential chain)",
                [nameof(AccessKey), nameof(SecretKey)]);
        }

        if (!string.IsNullOrWhiteSpace(Bucket))
        {
            if (!IsConfigured)
            {
                yield return new ValidationResult("ObjectStore:Bucket is set but ObjectStore:ServiceUrl is not", [nameof(Bucket)]);
            }

            if (ObjectKeys.BucketProblem(Bucket) is { } problem)
            {
                yield return new ValidationResult($"ObjectStore:Bucket: {problem}", [nameof(Bucket)]);
            }
        }

        if (ObjectKeys.PrefixProblem(KeyPrefix) is { } prefixProblem)
        {
            yield return new ValidationResult($"ObjectStore:KeyPrefix: {prefixProblem}", [nameof(KeyPrefix)]);
        }

        if (RetryDelay < TimeSpan.Zero || RequestTimeout <= TimeSpan.Zero)
        {
            yield return new ValidationResult("ObjectStore:RetryDelay must not be negative and ObjectStore:RequestTimeout must be positive", [nameof(RetryDelay), nameof(RequestTimeout)]);
        }
    }
}
