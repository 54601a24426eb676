using System.IO.Hashing;

namespace ComfySnap.Snapshots;

/// <summary>Fast content hashes (XxHash128) of files and folders, for manifests.</summary>
public static class FileDigest
{
    public static string OfFile(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 20);
        var hash = new XxHash128();
        hash.Append(stream);
        return Convert.ToHexStringLower(hash.GetCurrentHash());
    }

    /// <summary>
    /// A cheap identity for big files (model weights): size, modification time and the hash of the
    /// first and last MiB. Reading a whole multi-GB model at every boot would cost more than the
    /// restore itself saves.
    /// </summary>
    public static string IdentityOf(string path)
    {
        var info = new FileInfo(path);
        const int Window = 1 << 20;
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var hash = new XxHash128();
        var buffer = new byte[Math.Min(Window, info.Length)];
        stream.ReadExactly(buffer);
        hash.Append(buffer);
        stream.Seek(-buffer.Length, SeekOrigin.End);
        stream.ReadExactly(buffer);
        hash.Append(buffer);
        return $"{info.Length}:{info.LastWriteTimeUtc.Ticks}:{Convert.ToHexStringLower(hash.GetCurrentHash())}";
    }

    /// <summary>Relative path -> hash of every file under a folder matching the patterns.</summary>
    public static SortedDictionary<string, string> OfFolder(string folder, params string[] patterns)
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (!Directory.Exists(folder))
        {
            return result;
        }

        foreach (var pattern in patterns)
        {
            foreach (var file in Directory.EnumerateFiles(folder, pattern, SearchOption.AllDirectories))
            {
                result[Path.GetRelativePath(folder, file)] = OfFile(file);
            }
        }

        return result;
    }
}
