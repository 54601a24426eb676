namespace ComfySnap.Contracts;

/// <summary>How output files travel back to the publisher: in the message, as a Redis key, or as objects in an S3-compatible store.</summary>
/// <param name="MaxInlineBytes">Files up to this size are sent inside <see cref="WorkflowCompleted"/>; larger ones as a Redis key. Null: the worker's default. Not used for outputs written to the object store.</param>
/// <param name="Bucket">Write the outputs to this bucket of the worker's object store (<c>ObjectStore:*</c>) instead of sending their bytes; null: the worker's <c>ObjectStore:Bucket</c> (none: no upload); empty: no upload even where the worker has a default bucket (the gateway's jobs, whose outputs /view serves).</param>
/// <param name="KeyPrefix">Prefix of the object keys (<c>PREFIX + JobId + "/" + FileName</c>); null: the worker's <c>ObjectStore:KeyPrefix</c>.</param>
/// <param name="Format">Encoding of image outputs; null: the worker's <c>ObjectStore:Format</c> (PNG unless configured). Applies to every way of delivery.</param>
/// <param name="Quality">WebP and JPEG quality, 1 to 100; null: the worker's <c>ObjectStore:Quality</c> (90). Ignored for PNG.</param>
public sealed record OutputDelivery(
    long? MaxInlineBytes = null,
    string? Bucket = null,
    string? KeyPrefix = null,
    OutputFormat? Format = null,
    int? Quality = null);
