using System.Globalization;
using ComfySnap.NodeSdk;
using ComfySnap.Engine.Validation;
using Microsoft.Extensions.Options;

namespace ComfySnap.Engine;

/// <summary>The worker's input and output folders. Output files are named like ComfyUI's: PREFIX_00001_.png.</summary>
public sealed class Workspace(IOptions<WorkspaceOptions> options) : IWorkspace
{
    private readonly Lock _counterLock = new();
    private readonly Dictionary<string, int> _counters = new(StringComparer.Ordinal);

    public string InputDirectory { get; } = Path.GetFullPath(options.Value.InputDirectory);

    public string OutputDirectory { get; } = Path.GetFullPath(options.Value.OutputDirectory);

    public string? TryResolveInput(string name) =>
        FileNames.Combine(InputDirectory, name) is { } path && File.Exists(path) ? path : null;

    public bool IsSafeOutputPrefix(string prefix) => FileNames.Combine(OutputDirectory, prefix + "_x") is not null;

    public async ValueTask<OutputArtifact> SaveOutputAsync(string prefix, string extension, string contentType, ReadOnlyMemory<byte> bytes, bool temporary, CancellationToken cancellationToken)
    {
        var root = temporary ? Path.Combine(OutputDirectory, "temp") : OutputDirectory;
        var basePath = FileNames.Combine(root, prefix + "_x") is { } checkedPath
            ? Path.Combine(Path.GetDirectoryName(checkedPath)!, Path.GetFileName(prefix))
            : throw new ArgumentException($"Filename prefix '{prefix}' escapes the output folder", nameof(prefix));
        Directory.CreateDirectory(Path.GetDirectoryName(basePath)!);
        var path = $"{basePath}_{NextCounter(basePath, extension):D5}_.{extension}";
        await WriteAtomicallyAsync(path, bytes, cancellationToken).ConfigureAwait(false);
        return new OutputArtifact(Path.GetFileName(path), contentType, bytes, path, temporary ? "temp" : "output");
    }

    /// <summary>
    /// Writes to a hidden temporary name beside the file and renames it into place, so a full disk,
    /// a cancel or a crash never leaves a half-written output under the real name; the temporary file
    /// is removed when the write fails.
    /// </summary>
    public static async Task WriteAtomicallyAsync(string path, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        var temporary = Path.Combine(Path.GetDirectoryName(path)!, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1, useAsync: true);
            await using (stream.ConfigureAwait(false))
            {
                await stream.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
            }

            // overwrite: copies restored from one snapshot share its counter and may write the same name (as before).
            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    // Continues after the highest number already on disk, like ComfyUI, so restarts never overwrite.
    private int NextCounter(string basePath, string extension)
    {
        lock (_counterLock)
        {
            if (!_counters.TryGetValue(basePath, out var last))
            {
                var stem = Path.GetFileName(basePath) + "_";
                last = Directory.EnumerateFiles(Path.GetDirectoryName(basePath)!, $"{stem}*_.{extension}")
                    .Select(f => Path.GetFileName(f)[stem.Length..].Split('_')[0])
                    .Select(n => int.TryParse(n, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : 0)
                    .DefaultIfEmpty(0).Max();
            }

            _counters[basePath] = ++last;
            return last;
        }
    }
}
