namespace ComfySnap.Engine.Catalog;

/// <summary>
/// The files a workflow may name: model files per kind and input-folder files. A worker answers
/// from its folders; the gateway from the lists the workers published.
/// </summary>
public interface IFileCatalog
{
    /// <summary>Model kinds (folders), sorted.</summary>
    IReadOnlyList<string> ModelKinds { get; }

    /// <summary>Model file names of a kind, relative to its folder, sorted; empty for an unknown kind.</summary>
    IReadOnlyList<string> Models(string kind);

    bool HasModel(string kind, string name);

    /// <summary>The files directly in the input folder, sorted (what ComfyUI's LoadImage lists).</summary>
    IReadOnlyList<string> InputFiles { get; }

    bool HasInput(string name);

    /// <summary>The workers' input folder, for error messages.</summary>
    string InputDirectory { get; }
}
