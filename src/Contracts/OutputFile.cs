namespace ComfySnap.Contracts;

/// <summary>One output file of a completed job: inline bytes or a Redis key to fetch them from.</summary>
/// <param name="NodeId">The output node that produced it.</param>
/// <param name="FileName">File name, ComfyUI style (PREFIX_00001_.png).</param>
/// <param name="ContentType">MIME type, e.g. image/png.</param>
/// <param name="Size">Size in bytes.</param>
/// <param name="Sha256">Lower-case hex SHA-256 of the bytes.</param>
/// <param name="InlineBytes">The bytes when small enough to travel in the message.</param>
/// <param name="RedisKey">Where the bytes are (a Redis string) when not inline.</param>
/// <param name="ExpiresAt">When <paramref name="RedisKey"/> expires.</param>
public sealed record OutputFile(
    string NodeId,
    string FileName,
    string ContentType,
    long Size,
    string Sha256,
    byte[]? InlineBytes,
    string? RedisKey,
    DateTimeOffset? ExpiresAt);
