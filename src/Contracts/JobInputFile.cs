namespace ComfySnap.Contracts;

/// <summary>
/// A file a job's workflow reads from the input folder (e.g. an uploaded image for LoadImage). The worker
/// fetches it (inline bytes, else the Redis key), checks its size and SHA-256, stores it in its input folder
/// under a content-addressed name and points the workflow's file inputs named <paramref name="Name"/> at it.
/// </summary>
/// <param name="Name">The name the workflow uses (a LoadImage <c>image</c> value, e.g. <c>cat.png</c> or <c>sub/cat.png</c>).</param>
/// <param name="Sha256">Lower-case hex SHA-256 of the bytes.</param>
/// <param name="Size">Size in bytes.</param>
/// <param name="InlineBytes">The bytes, when small enough to travel in the message.</param>
/// <param name="RedisKey">Where the bytes are (a Redis string in the workers' cache) when not inline.</param>
public sealed record JobInputFile(
    string Name,
    string Sha256,
    long Size,
    byte[]? InlineBytes = null,
    string? RedisKey = null);
