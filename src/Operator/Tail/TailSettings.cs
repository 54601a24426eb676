namespace ComfySnap.Operator.Tail;

/// <summary>What `tail` shows.</summary>
/// <param name="Worker">Only events of this worker.</param>
/// <param name="Batch">Only jobs of this batch (WorkerBooted has none and is then left out).</param>
/// <param name="Kinds">booted, timings, failed.</param>
/// <param name="Json">One JSON object per line on stdout instead of table rows.</param>
/// <param name="Duration">Stop after this long; null: until Ctrl+C.</param>
public sealed record TailSettings(string? Worker, string? Batch, IReadOnlySet<string> Kinds, bool Json, TimeSpan? Duration)
{
    public static readonly IReadOnlyList<string> AllKinds = ["booted", "timings", "failed"];
}
