namespace ComfySnap.SnapshotBuilder;

/// <summary>What to snapshot: the worker build, its configuration, where the image goes and the key that signs it.</summary>
public sealed record BuildRequest(
    string OutputDirectory,
    string WorkerDll,
    string Dotnet,
    string ModelsDirectory,
    string NodePackDirectory,
    IReadOnlyList<string> Preload,
    IReadOnlyList<string> SecretNames,
    TimeSpan PrepareTimeout,
    byte[]? SigningKey = null)
{
    /// <summary>Never print the signing key.</summary>
    public override string ToString() => $"BuildRequest {{ OutputDirectory = {OutputDirectory}, WorkerDll = {WorkerDll}, Signed = {SigningKey is not null} }}";
}
