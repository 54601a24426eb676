using ComfySnap.NodeSdk;

namespace ComfySnap.Engine.Catalog;

/// <summary>The catalog's names for <see cref="FileSource"/>.</summary>
internal static class FileSources
{
    public static string Name(FileSource source) => source switch
    {
        FileSource.Model => "model",
        FileSource.InputFolder => "input",
        FileSource.OutputPrefix => "output_prefix",
        _ => "none",
    };

    public static FileSource Parse(string? name) => name switch
    {
        "model" => FileSource.Model,
        "input" => FileSource.InputFolder,
        "output_prefix" => FileSource.OutputPrefix,
        _ => FileSource.None,
    };
}
