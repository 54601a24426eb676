namespace ComfySnap.Worker.Boot;

/// <summary>Why a worker cold-booted instead of restoring its snapshot (a closed set).</summary>
public enum FallbackKind
{
    NoSnapshotConfigured,
    SnapshotMissing,
    ManifestUnreadable,
    HostMismatch,
    WorkerChanged,
    NodePacksChanged,
    ModelChanged,
    ImageCorrupt,
    RestoreFailed,
    HandshakeTimeout,
    CanaryFailed,

    /// <summary>A signing key is configured and the snapshot is unsigned or not signed with it.</summary>
    SignatureInvalid,

    /// <summary>A standby copy's snapshot was replaced by a newer one in the snapshot folder.</summary>
    SnapshotReplaced,

    /// <summary>A standby copy died while it waited.</summary>
    StandbyGone,
}

/// <summary>The kind plus a message naming exactly what did not match or failed.</summary>
public sealed record FallbackReason(FallbackKind Kind, string Message);
