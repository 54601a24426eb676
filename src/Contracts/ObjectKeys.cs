using System.Text.RegularExpressions;

namespace ComfySnap.Contracts;

/// <summary>
/// Bucket and key rules. Keys are deterministic per job (<c>PREFIX + JobId + "/" + FileName</c>),
/// so a retried upload or a redelivered job overwrites its own objects instead of adding new ones.
/// </summary>
public static partial class ObjectKeys
{
    /// <summary>The object key of one output file of a job.</summary>
    public static string For(string keyPrefix, string jobId, string fileName) => $"{keyPrefix}{jobId}/{fileName}";

    /// <summary>Why a bucket name breaks S3's naming rules (3 to 63 of a-z, 0-9, '.', '-'; letter or digit at both ends); null when it does not.</summary>
    public static string? BucketProblem(string bucket) =>
        BucketName().IsMatch(bucket) && !bucket.Contains("..", StringComparison.Ordinal)
            ? null
            : $"'{bucket}' is not a valid bucket name (3 to 63 of a-z, 0-9, '.', '-', starting and ending with a letter or digit)";

    /// <summary>Why a key prefix is refused (a leading '/', a '..' segment, control characters, over 512 characters); null when it is fine.</summary>
    public static string? PrefixProblem(string? prefix)
    {
        if (string.IsNullOrEmpty(prefix))
        {
            return null;
        }

        if (prefix.Length > 512 || prefix.StartsWith('/') || prefix.Any(char.IsControl) || prefix.Split('/').Contains(".."))
        {
            return $"'{prefix}' is not a usable key prefix (no leading '/', no '..' segment, no control characters, at most 512 characters)";
        }

        return null;
    }

    /// <summary>Why a job id cannot be part of a key ('/' or '..' would move the job's objects elsewhere); null when it can.</summary>
    public static string? JobIdProblem(string jobId) =>
        jobId.Contains('/', StringComparison.Ordinal) || jobId is "." or ".." || jobId.Any(char.IsControl)
            ? $"job id '{jobId}' cannot name objects (no '/', control characters, '.' or '..')"
            : null;

    [GeneratedRegex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")]
    private static partial Regex BucketName();
}
