using ComfySnap.NodeSdk;

namespace ComfySnap.Engine.Catalog;

/// <summary>A worker's own files: its model store and input folder.</summary>
public sealed class LocalFileCatalog(IModelStore models, IWorkspace workspace) : IFileCatalog
{
    public IReadOnlyList<string> ModelKinds => models.Kinds;

    public IReadOnlyList<string> Models(string kind) => models.List(kind);

    // A pinned model URL counts as present: the worker downloads it (or fails the job) after the
    // output-cache lookup, so a cache hit never pays the download.
    public bool HasModel(string kind, string name) => models.TryResolve(kind, name) is not null || ModelUrl.TryParse(name, out _) is not null;

    public IReadOnlyList<string> InputFiles => Directory.Exists(workspace.InputDirectory)
        ? [.. Directory.EnumerateFiles(workspace.InputDirectory).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal)]
        : [];

    public bool HasInput(string name) => workspace.TryResolveInput(name) is not null;

    public string InputDirectory => workspace.InputDirectory;
}
