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
