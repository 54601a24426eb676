namespace ComfySnap.Worker.Models;

/// <summary>A file in the model download cache: its size and when a worker last used it.</summary>
public sealed record CachedModelFile(string Path, long Bytes, DateTime LastUsedUtc);

/// <summary>Which cached model files go so that a new one fits under the cap: least recently used first, skipping those in use.</summary>
public static class CacheEviction
{
    /// <summary>
    /// Removes files, least recently used first, until the cache plus <paramref name="incomingBytes"/>
    /// fits in <paramref name="capBytes"/>; <paramref name="tryRemove"/> answers false for a file some
    /// process has loaded, which stays. Returns the files removed. A cap of 0 removes nothing.
    /// </summary>
    public static IReadOnlyList<CachedModelFile> Evict(IEnumerable<CachedModelFile> files, long incomingBytes, long capBytes, Func<CachedModelFile, bool> tryRemove)
    {
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(tryRemove);
        var ordered = files.OrderBy(f => f.LastUsedUtc).ThenBy(f => f.Path, StringComparer.Ordinal).ToList();
        var total = ordered.Sum(f => f.Bytes) + incomingBytes;
        var removed = new List<CachedModelFile>();
        foreach (var file in ordered)
        {
            if (capBytes <= 0 || total <= capBytes)
            {
                break;
            }

            if (tryRemove(file))
            {
                removed.Add(file);
                total -= file.Bytes;
            }
        }

        return removed;
    }
}
