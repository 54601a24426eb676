using ComfySnap.Snapshots;

namespace ComfySnap.SnapshotBuilder;

/// <summary>The parked worker holds something a snapshot must not contain.</summary>
public sealed class SnapshotRefusedException(IReadOnlyList<SnapshotRefusal> refusals)
    : Exception("Refusing to snapshot the prepared worker: " + string.Join("; ", refusals));
