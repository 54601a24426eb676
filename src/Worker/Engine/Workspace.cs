using System.Globalization;
using ComfySnap.NodeSdk;
using ComfySnap.Worker.Engine.Validation;
using Microsoft.Extensions.Options;

namespace ComfySnap.Worker.Engine;

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
        await File.WriteAllBytesAsync(path, bytes.ToArray(), cancellationToken).ConfigureAwait(false);
        return new OutputArtifact(Path.GetFileName(path), contentType, bytes, path, temporary ? "temp" : "output");
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
