namespace ComfySnap.Engine;

/// <summary>Input and output folders. Bound from the "Workspace" configuration section.</summary>
public sealed class WorkspaceOptions
{
    public const string SectionName = "Workspace";

    public string InputDirectory { get; set; } = "input";

    public string OutputDirectory { get; set; } = "output";
}
