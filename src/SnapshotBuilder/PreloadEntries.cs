namespace ComfySnap.SnapshotBuilder;

/// <summary>What a snapshot may preload: model files under the models folder, never a model named by URL.</summary>
public static class PreloadEntries
{
    /// <summary>
    /// Throws <see cref="FormatException"/> for a preload entry that names a URL: a snapshot's models
    /// are files its manifest fingerprints under the models folder, and the download cache
    /// (Models:Download) is a host's, never part of a snapshot.
    /// </summary>
    public static void ThrowIfUrl(IEnumerable<string> preload)
    {
        ArgumentNullException.ThrowIfNull(preload);
        foreach (var entry in preload)
        {
            if (entry.Contains("://", StringComparison.Ordinal))
            {
                throw new FormatException($"--preload '{entry}' names a URL: a snapshot preloads model files under the models folder only (models by URL are downloaded by each host's worker, never snapshotted); put the file into the models folder and preload it as kind/name");
            }
        }
    }
}
