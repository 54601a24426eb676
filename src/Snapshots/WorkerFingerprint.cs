namespace ComfySnap.Snapshots;

/// <summary>Hashes of a worker build (its managed assemblies and config): a rebuild invalidates snapshots.</summary>
public static class WorkerFingerprint
{
    public static SortedDictionary<string, string> Of(string workerDirectory)
    {
        var files = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(workerDirectory, "*.dll").Concat(Directory.EnumerateFiles(workerDirectory, "*.json")))
        {
            files[Path.GetFileName(file)] = FileDigest.OfFile(file);
        }

        return files;
    }
}

/// <summary>Identities of the preloaded model files ("kind/name" under the models folder).</summary>
public static class ModelFingerprint
{
    /// <summary>
    /// The preloaded model files, plus every other file under the models folder the prepared
    /// process maps (weights converted to their compute dtype): a restore depends on all of them.
    /// </summary>
    public static SortedDictionary<string, string> Of(string modelsDirectory, IEnumerable<string> preload, IEnumerable<string>? mappedFiles = null)
    {
        var files = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in preload)
        {
            var path = Path.GetFullPath(Path.Combine(modelsDirectory, entry));
            files[path] = File.Exists(path) ? FileDigest.IdentityOf(path) : "missing";
        }

        var root = Path.GetFullPath(modelsDirectory) + Path.DirectorySeparatorChar;
        foreach (var path in mappedFiles ?? [])
        {
            if (path.StartsWith(root, StringComparison.Ordinal) && File.Exists(path))
            {
                files[path] = FileDigest.IdentityOf(path);
            }
        }

        return files;
    }
}
