using ComfySnap.Contracts;
using ComfySnap.Engine.Execution;

namespace ComfySnap.Worker.Delivery;

/// <summary>Where a job's outputs go: a bucket and key prefix, or none (inline / Redis as before).</summary>
public sealed record ObjectTarget(string Bucket, string KeyPrefix);

/// <summary>
/// A job's output delivery after its <see cref="OutputDelivery"/> is merged with the worker's
/// defaults: the image encoding and, when a bucket is named, the object store target.
/// </summary>
public sealed record DeliveryPlan(OutputFormat Format, int Quality, ObjectTarget? Target)
{
    /// <summary>A plan, or the reason the job's delivery cannot be honoured (answered before anything runs).</summary>
    public static (DeliveryPlan? Plan, string? Problem) Resolve(RunWorkflow job, ObjectStoreOptions store, OutputFormatOptions output)
    {
        var delivery = job.Delivery;
        var format = delivery?.Format ?? output.Format;
        if (!Enum.IsDefined(format))
        {
            return (null, $"delivery.format {(int)format} is not one of Png=0, Webp=1, Jpeg=2");
        }

        var quality = delivery?.Quality ?? output.Quality;
        if (quality is < 1 or > 100)
        {
            return (null, $"delivery.quality {quality} is not between 1 and 100");
        }

        // Null takes the worker's default; an empty bucket asks for no upload even where there is one.
        var bucket = delivery?.Bucket ?? store.Bucket;
        if (string.IsNullOrWhiteSpace(bucket))
        {
            return (new DeliveryPlan(format, quality, null), null);
        }

        var prefix = delivery?.KeyPrefix ?? store.KeyPrefix;
        var problem = !store.IsConfigured ? $"delivery to bucket '{bucket}' asked, but this worker has no object store (ObjectStore:ServiceUrl)"
            : ObjectKeys.BucketProblem(bucket) ?? ObjectKeys.PrefixProblem(prefix) ?? ObjectKeys.JobIdProblem(job.JobId);
        return problem is null ? (new DeliveryPlan(format, quality, new ObjectTarget(bucket, prefix)), null) : (null, problem);
    }

    /// <summary>Nothing to change: PNG, no upload.</summary>
    public bool IsDefault => Format == OutputFormat.Png && Target is null;

    /// <summary>The outputs in this plan's format (PNG image outputs re-encoded and renamed; anything else as it is).</summary>
    public IReadOnlyList<WorkflowOutput> Encode(IReadOnlyList<WorkflowOutput> outputs)
    {
        if (Format == OutputFormat.Png)
        {
            return outputs;
        }

        var (_, contentType) = ImageTranscoder.Describe(Format);
        return [.. outputs.Select(o => o.Artifact.ContentType != "image/png" ? o : o with
        {
            Artifact = o.Artifact with
            {
                FileName = ImageTranscoder.Rename(o.Artifact.FileName, Format),
                ContentType = contentType,
                Bytes = ImageTranscoder.Transcode(o.Artifact.Bytes.ToArray(), Format, Quality),
            },
        })];
    }

    /// <summary>What the output cache key gets appended, so a WebP answer is never served to a PNG job (empty for PNG).</summary>
    public string CacheKeySuffix => Format switch
    {
        OutputFormat.Png => "",
        _ => $":{ImageTranscoder.Describe(Format).Extension}{Quality}",
    };
}
