using ComfySnap.Snapshots;

namespace ComfySnap.Worker.Boot;

/// <summary>
/// A restored copy that runs but has not had its handshake: it waits for its runtime config, holds
/// no connection and no secret. Disposing it kills it.
/// </summary>
public sealed class ParkedRestore(RestoredProcess process, SnapshotManifest manifest, IReadOnlyList<BootPhase> phases) : IAsyncDisposable
{
    public RestoredProcess Process { get; } = process;

    public SnapshotManifest Manifest { get; } = manifest;

    /// <summary>The phases so far (manifest read, restore, manifest check, image check).</summary>
    public IReadOnlyList<BootPhase> Phases { get; } = phases;

    public ValueTask DisposeAsync() => Process.DisposeAsync();
}
