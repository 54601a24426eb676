namespace ComfySnap.Contracts;

/// <summary>One output file of a completed job: inline bytes, a Redis key to fetch them from, or an object in the object store.</summary>
/// <param name="NodeId">The output node that produced it.</param>
/// <param name="FileName">File name, ComfyUI style (PREFIX_00001_.png).</param>
/// <param name="ContentType">MIME type, e.g. image/png.</param>
/// <param name="Size">Size in bytes.</param>
/// <param name="Sha256">Lower-case hex SHA-256 of the bytes.</param>
/// <param name="InlineBytes">The bytes when small enough to travel in the message.</param>
/// <param name="RedisKey">Where the bytes are (a Redis string) when not inline.</param>
/// <param name="ExpiresAt">When <paramref name="RedisKey"/> expires.</param>
/// <param name="Url">When written to the object store: the object's HTTP(S) address at the store's endpoint (no bytes travel in the message).</param>
/// <param name="ObjectUri">When written to the object store: <c>s3://bucket/key</c>, also usable as a LoadImage input.</param>
public sealed record OutputFile(
    string NodeId,
    string FileName,
    string ContentType,
    long Size,
    string Sha256,
    byte[]? InlineBytes,
    string? RedisKey,
    DateTimeOffset? ExpiresAt,
    string? Url = null,
    string? ObjectUri = null);
