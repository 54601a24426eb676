namespace ComfySnap.Contracts;

/// <summary>How a worker came up.</summary>
public enum BootMode
{
    /// <summary>Restored from a CRIU snapshot.</summary>
    Restored = 0,

    /// <summary>Booted from scratch.</summary>
    ColdBoot = 1,
}

/// <summary>A worker is up and consuming; its boot phases.</summary>
/// <param name="WorkerId">The worker.</param>
/// <param name="Mode">Restored or cold boot.</param>
/// <param name="FallbackReason">Why a restore was not used, when it was attempted.</param>
/// <param name="SnapshotId">The snapshot restored from.</param>
/// <param name="Phases">Every boot phase in order.</param>
public sealed record WorkerBooted(
    string WorkerId,
    BootMode Mode,
    BootFallback? FallbackReason,
    string? SnapshotId,
    IReadOnlyList<BootPhaseTiming> Phases);

/// <summary>Why a worker fell back to a cold boot.</summary>
/// <param name="Kind">Machine-readable reason, e.g. <c>manifest_mismatch</c>.</param>
/// <param name="Message">Details.</param>
public sealed record BootFallback(string Kind, string Message);

/// <summary>One boot phase.</summary>
/// <param name="Name">Phase name.</param>
/// <param name="Ms">Milliseconds.</param>
/// <param name="Detail">Extra detail.</param>
public sealed record BootPhaseTiming(string Name, double Ms, string? Detail);
