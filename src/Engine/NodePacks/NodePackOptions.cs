namespace ComfySnap.Engine.NodePacks;

/// <summary>Where external node packs live. Bound from the "NodePacks" configuration section.</summary>
public sealed class NodePackOptions
{
    public const string SectionName = "NodePacks";

    /// <summary>Folder with one sub-folder per pack holding its assemblies; empty or missing: none.</summary>
    public string Directory { get; set; } = "node_packs";
}
