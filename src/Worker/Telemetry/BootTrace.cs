using System.Diagnostics;
using ComfySnap.Worker.Boot;

namespace ComfySnap.Worker.Telemetry;

/// <summary>
/// The boot as a trace of its own: a "boot" span with one child per phase. Spans are written once
/// the worker is ready, laid end to end from the measured durations and anchored at that moment.
/// Timestamps taken before a CRIU checkpoint belong to the dumped process's clock (a restore runs
/// in a new time namespace where Stopwatch continues from the dump and the wall clock jumps), so a
/// live span opened in the prepared process would close with a meaningless duration.
/// </summary>
public static class BootTrace
{
    public static void Emit(string workerId, string mode, string? fallbackKind, string? snapshotId, IReadOnlyList<BootPhase> phases, DateTimeOffset readyAt)
    {
        var source = WorkerActivities.Source;
        if (!source.HasListeners())
        {
            return;
        }

        var previous = Activity.Current;
        Activity.Current = null; // a boot is a trace of its own, never part of whatever ran before
        try
        {
            var start = readyAt - TimeSpan.FromMilliseconds(phases.Sum(p => p.Milliseconds));
            using var root = source.StartActivity(WorkerActivities.Boot, ActivityKind.Internal, default(ActivityContext), startTime: start);
            if (root is null)
            {
                return;
            }

            root.SetTag("comfysnap.worker.id", workerId);
            root.SetTag("comfysnap.boot.mode", mode);
            root.SetTag("comfysnap.boot.fallback", fallbackKind);
            root.SetTag("comfysnap.snapshot.id", snapshotId);
            var at = start;
            foreach (var phase in phases)
            {
                using var span = source.StartActivity(phase.Name, ActivityKind.Internal, root.Context, startTime: at);
                at += TimeSpan.FromMilliseconds(phase.Milliseconds);
                span?.SetTag("comfysnap.boot.phase", phase.Name);
                span?.SetTag("comfysnap.boot.detail", phase.Detail);
                span?.SetEndTime(at.UtcDateTime);
            }

            root.SetEndTime(readyAt.UtcDateTime);
        }
        finally
        {
            Activity.Current = previous;
        }
    }
}
