namespace ComfySnap.Worker.Boot;

/// <summary>
/// How this process came to be serving: cold boot (with the reason a restore was not used) or a
/// restored snapshot whose engine is already loaded. WorkerService reads it to skip the engine
/// phases after a restore and to fill WorkerBooted.
/// </summary>
public sealed class BootContext
{
    public bool Restored { get; private set; }

    public bool EngineBooted { get; private set; }

    public string? SnapshotId { get; private set; }

    public FallbackReason? Fallback { get; private set; }

    public IReadOnlyList<BootPhase> EarlierPhases { get; private set; } = [];

    public void MarkRestored(string? snapshotId, IReadOnlyList<BootPhase> phases)
    {
        Restored = true;
        EngineBooted = true;
        SnapshotId = snapshotId;
        EarlierPhases = phases;
    }

    public void MarkColdBoot(FallbackReason? fallback, string? snapshotId, IReadOnlyList<BootPhase> phases)
    {
        Fallback = fallback;
        SnapshotId = snapshotId;
        EarlierPhases = phases;
    }
}
