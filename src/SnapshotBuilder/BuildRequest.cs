namespace ComfySnap.SnapshotBuilder;

/// <summary>What to snapshot: the worker build, its configuration, and where the image goes.</summary>
public sealed record BuildRequest(
    string OutputDirectory,
    string WorkerDll,
    string Dotnet,
    string ModelsDirectory,
    string NodePackDirectory,
    IReadOnlyList<string> Preload,
    IReadOnlyList<string> SecretNames,
    TimeSpan PrepareTimeout);
