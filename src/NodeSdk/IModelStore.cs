namespace ComfySnap.NodeSdk;

/// <summary>Named roots per model kind; names resolve inside their root only; loaded once, kept on CPU.</summary>
public interface IModelStore
{
    IReadOnlyList<string> Kinds { get; }

    /// <summary>File names available under a kind, relative to its root.</summary>
    IReadOnlyList<string> List(string kind);

    /// <summary>The full path of a model, or null when the name is unknown or escapes its root.</summary>
    string? TryResolve(string kind, string name);

    /// <summary>Loads a model once (by kind+name) with <paramref name="load"/> and shares it afterwards.</summary>
    ValueTask<T> GetOrLoadAsync<T>(string kind, string name, Func<string, CancellationToken, ValueTask<T>> load, CancellationToken cancellationToken)
        where T : class;

    /// <summary>
    /// Loads a model once with the loader the worker registered for its kind (for "checkpoints":
    /// UNet, CLIP and VAE built), shared with the boot preload of the same kind/name.
    /// </summary>
    ValueTask<T> LoadAsync<T>(string kind, string name, CancellationToken cancellationToken)
        where T : class =>
        throw new NotSupportedException($"this model store has no loader for model kind '{kind}'");
}

/// <summary>The worker's input and output folders; names never escape them.</summary>
public interface IWorkspace
{
    string InputDirectory { get; }

    string OutputDirectory { get; }

    /// <summary>The full path of an input file, or null when it is missing or escapes the folder.</summary>
    string? TryResolveInput(string name);

    /// <summary>True when a filename prefix stays inside the output folder.</summary>
    bool IsSafeOutputPrefix(string prefix);

    /// <summary>Writes bytes under the output folder as PREFIX_NNNNN_.ext and returns the artifact.</summary>
    ValueTask<OutputArtifact> SaveOutputAsync(string prefix, string extension, string contentType, ReadOnlyMemory<byte> bytes, bool temporary, CancellationToken cancellationToken);
}

/// <summary>The one place that decides which torch device work runs on.</summary>
public interface IDeviceService
{
    /// <summary>The device for compute: CPU while a snapshot is prepared or in a CPU build.</summary>
    TorchSharp.torch.Device ComputeDevice { get; }
}
