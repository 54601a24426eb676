namespace ComfySnap.Contracts;

/// <summary>A worker is alive; published every <paramref name="IntervalMs"/> once it is ready (Bus:HeartbeatInterval).</summary>
/// <param name="WorkerId">The worker.</param>
/// <param name="Mode">How it booted: restored or cold boot.</param>
/// <param name="SnapshotId">The snapshot it was restored from (or tried first), if any.</param>
/// <param name="JobsRunning">Jobs it is handling now.</param>
/// <param name="JobsDone">Jobs it has answered since it was ready.</param>
/// <param name="UptimeMs">Milliseconds since it was ready (a restored process's own clock would include the time its snapshot waited).</param>
/// <param name="IntervalMs">Its heartbeat interval: a worker silent for a few of these is stale.</param>
/// <param name="SentAt">When this heartbeat left the worker.</param>
/// <param name="Models">The model files it holds loaded ("kind/name"), least recently used first.</param>
/// <param name="ModelSets">The model sets whose queues it consumes (it holds every model of each).</param>
/// <param name="UnloadableModels">Models that failed to load on it: it never tries them again and hands their jobs back.</param>
public sealed record WorkerHeartbeat(
    string WorkerId,
    BootMode Mode,
    string? SnapshotId,
    int JobsRunning,
    long JobsDone,
    double UptimeMs,
    double IntervalMs,
    DateTimeOffset SentAt,
    IReadOnlyList<string>? Models = null,
    IReadOnlyList<ModelSet>? ModelSets = null,
    IReadOnlyList<string>? UnloadableModels = null);
