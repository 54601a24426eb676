using ComfySnap.NodeSdk;
using ComfySnap.Tests.Support;

namespace ComfySnap.Tests.Nodes.Support;

/// <summary>An input/output/temp folder trio under a fresh temp directory, removed on dispose.</summary>
public sealed class TestWorkspace : IWorkspace, IDisposable
{
    private readonly Lock gate = new();

    public TestWorkspace()
    {
        Root = TestEnvironment.NewTempDirectory("ws");
        InputDirectory = Directory.CreateDirectory(Path.Combine(Root, "input")).FullName;
        OutputDirectory = Directory.CreateDirectory(Path.Combine(Root, "output")).FullName;
        TempDirectory = Directory.CreateDirectory(Path.Combine(Root, "temp")).FullName;
    }

    public string Root { get; }

    public string InputDirectory { get; }

    public string OutputDirectory { get; }

    public string TempDirectory { get; }

    public string? TryResolveInput(string name)
    {
        var full = Path.GetFullPath(Path.Combine(InputDirectory, name));
        return IsInside(InputDirectory, full) && File.Exists(full) ? full : null;
    }

    public bool IsSafeOutputPrefix(string prefix) =>
        prefix.Length > 0 && IsInside(OutputDirectory, Path.GetFullPath(Path.Combine(OutputDirectory, prefix)));

    public async ValueTask<OutputArtifact> SaveOutputAsync(string prefix, string extension, string contentType, ReadOnlyMemory<byte> bytes, bool temporary, CancellationToken cancellationToken)
    {
        if (!IsSafeOutputPrefix(prefix))
        {
            throw new ArgumentException($"unsafe prefix '{prefix}'", nameof(prefix));
        }

        var path = Reserve(Path.Combine(temporary ? TempDirectory : OutputDirectory, prefix), extension);
        await File.WriteAllBytesAsync(path, bytes.ToArray(), cancellationToken);
        return new OutputArtifact(Path.GetFileName(path), contentType, bytes, path, temporary ? "temp" : "output");
    }

    public void Dispose()
    {
        if (Directory.Exists(Root))
        {
            Directory.Delete(Root, recursive: true);
        }
    }

    private static bool IsInside(string folder, string path) =>
        path.StartsWith(folder + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    // PREFIX_NNNNN_.ext with the first free counter, created empty so parallel saves never collide.
    private string Reserve(string stem, string extension)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(stem)!);
        lock (gate)
        {
            for (var counter = 1; ; counter++)
            {
                var path = $"{stem}_{counter:D5}_.{extension}";
                if (!File.Exists(path))
                {
                    File.Create(path).Dispose();
                    return path;
                }
            }
        }
    }
}
