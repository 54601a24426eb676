using ComfySnap.Contracts;

namespace ComfySnap.Operator.Submit;

/// <summary>What `submit` was asked to do.</summary>
/// <param name="Inputs">Workflow files, folders and .jsonl files (may be empty with --resume).</param>
/// <param name="Output">Folder for outputs and the state file.</param>
/// <param name="Repeat">Each workflow this many times.</param>
/// <param name="Sweep">Seed range, or null.</param>
/// <param name="Resume">Replay the state file and send only what has no answer.</param>
/// <param name="BatchId">The batch id; null: new (or the state file's when resuming).</param>
/// <param name="Cache">The jobs' cache policy.</param>
/// <param name="IdleTimeout">Give up (exit 3, resumable) when no answer came for this long.</param>
/// <param name="SendConcurrency">Sends in flight at once.</param>
public sealed record SubmitSettings(
    IReadOnlyList<string> Inputs,
    string Output,
    int Repeat,
    SeedSweep? Sweep,
    bool Resume,
    string? BatchId,
    CachePolicy Cache,
    TimeSpan IdleTimeout,
    int SendConcurrency = 64);
