using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace ComfySnap.Snapshots;

/// <summary>SHA-256 of every image file: the checksums a signed manifest vouches for (XxHash128 is no defence against a crafted file).</summary>
public static class ImageSha256
{
    public static SortedDictionary<string, string> OfFolder(string imagesFolder, CancellationToken cancellationToken)
    {
        var hashes = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);
        Parallel.ForEach(
            Directory.EnumerateFiles(imagesFolder, "*.img", SearchOption.AllDirectories),
            new ParallelOptions { CancellationToken = cancellationToken, MaxDegreeOfParallelism = Math.Max(1, Environment.ProcessorCount / 2) },
            file =>
            {
                using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
                hashes[Path.GetRelativePath(imagesFolder, file)] = Convert.ToHexStringLower(SHA256.HashData(stream));
            });
        return new SortedDictionary<string, string>(hashes, StringComparer.Ordinal);
    }
}
