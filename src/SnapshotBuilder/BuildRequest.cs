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
    byte[]? SigningKey = null,
    string? WorkDirectory = null,
    IReadOnlyDictionary<string, string>? WorkerSettings = null)
{
    /// <summary>
    /// The prepared worker's working directory, restored as is: it must exist wherever the snapshot
    /// is restored, and restored workers write their outputs under it. Default: OUT/prepare-cwd.
    /// </summary>
    public string EffectiveWorkDirectory => WorkDirectory ?? Path.Combine(OutputDirectory, "prepare-cwd");

    /// <summary>The prepared worker's Models:UnetDtype as a build-time setting gives it (fp32 when not set), for the manifest.</summary>
    public string UnetDtype => (WorkerSettings?.GetValueOrDefault("Models:UnetDtype") is { Length: > 0 } dtype ? dtype : "fp32").Trim().ToLowerInvariant();

    /// <summary>Never print the signing key.</summary>
    public override string ToString() => $"BuildRequest {{ OutputDirectory = {OutputDirectory}, WorkerDll = {WorkerDll}, Signed = {SigningKey is not null} }}";
}
