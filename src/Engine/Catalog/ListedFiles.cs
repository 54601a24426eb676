namespace ComfySnap.Engine.Catalog;

/// <summary>
/// One listing of a file catalog's folders: each folder is read once per catalog document, and the
/// model lists in object_info and in the "comfysnap" section come from the same read. Its kinds are
/// the store's plus any a node names (a node pack's own model folder).
/// </summary>
internal sealed class ListedFiles : IFileCatalog
{
    private readonly Dictionary<string, IReadOnlyList<string>> _models;

    public ListedFiles(IFileCatalog files, IEnumerable<string> nodeModelKinds)
    {
        ModelKinds = [.. files.ModelKinds.Union(nodeModelKinds.Except(files.ModelKinds).Order(StringComparer.Ordinal))];
        _models = ModelKinds.ToDictionary(k => k, files.Models, StringComparer.Ordinal);
        InputFiles = files.InputFiles;
        InputDirectory = files.InputDirectory;
    }

    public IReadOnlyList<string> ModelKinds { get; }

    public IReadOnlyList<string> InputFiles { get; }

    public string InputDirectory { get; }

    public IReadOnlyList<string> Models(string kind) => _models.GetValueOrDefault(kind) ?? [];

    public bool HasModel(string kind, string name) => Models(kind).Contains(name, StringComparer.Ordinal);

    public bool HasInput(string name) => InputFiles.Contains(name, StringComparer.Ordinal);
}
