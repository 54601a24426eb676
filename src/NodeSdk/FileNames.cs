namespace ComfySnap.NodeSdk;

/// <summary>Checks that a user-given relative file name stays inside the folder it names.</summary>
public static class FileNames
{
    /// <summary>Longest file or folder name a prefix may give: Linux's NAME_MAX (255 bytes) less room for "_00001_.png".</summary>
    public const int MaxComponentBytes = 240;

    /// <summary>True when one part of <paramref name="name"/> is too long for the file system to create.</summary>
    public static bool HasOverlongPart(string name) =>
        name.Replace('\\', '/').Split('/').Any(p => System.Text.Encoding.UTF8.GetByteCount(p) > MaxComponentBytes);

    public static bool IsInside(string name)
    {
        if (string.IsNullOrWhiteSpace(name) || Path.IsPathRooted(name) || name.Contains('\0', StringComparison.Ordinal))
        {
            return false;
        }

        var parts = name.Replace('\\', '/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        return parts.Length > 0 && parts.All(p => p is not (".." or "."));
    }

    /// <summary>Resolves <paramref name="name"/> under <paramref name="root"/>, or null when it would escape.</summary>
    public static string? Combine(string root, string name)
    {
        if (!IsInside(name))
        {
            return null;
        }

        var fullRoot = Path.GetFullPath(root).TrimEnd('/') + "/";
        var full = Path.GetFullPath(Path.Combine(fullRoot, name));
        return full.StartsWith(fullRoot, StringComparison.Ordinal) ? full : null;
    }
}
