using ComfySnap.Worker.Boot;

namespace ComfySnap.Tools.Demo;

/// <summary>How one demo worker came up: its phases and the wall time from launch to ready.</summary>
public sealed record DemoBoot(string Mode, IReadOnlyList<BootPhase> Phases, double ReadyMs);

/// <summary>One workflow's answer from one worker: round trip and the outputs' sha256 (or why not).</summary>
public sealed record DemoAnswer(double Ms, string? Sha256, string? Error);

/// <summary>One shipped workflow run on the cold and on the restored worker.</summary>
public sealed record DemoRun(string Workflow, DemoAnswer Cold, DemoAnswer? Restored);

/// <summary>The snapshot demo's outcome; Restored is null when the restore fell back (see FallbackReason).</summary>
public sealed record SnapshotDemoResult(string SnapshotId, bool Reused, DemoBoot Cold, DemoBoot? Restored, string? FallbackReason, IReadOnlyList<DemoRun> Runs);
