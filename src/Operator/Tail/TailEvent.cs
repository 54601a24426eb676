using ComfySnap.Contracts;

namespace ComfySnap.Operator.Tail;

/// <summary>One event `tail` shows, with what it learnt about its job (worker and batch come from WorkflowAccepted).</summary>
public sealed record TailEvent(DateTimeOffset At, string Kind, string? WorkerId, string? BatchId, string? JobId, object Event)
{
    public static string KindOf(object message) => message switch
    {
        WorkerBooted => "booted",
        JobTimings => "timings",
        WorkflowFailed => "failed",
        _ => "other",
    };
}
