using System.Collections.Concurrent;
using ComfySnap.Contracts;
using ComfySnap.Operator.Bus;
using ComfySnap.Operator.Cli;
using Spectre.Console;

namespace ComfySnap.Operator.Tail;

/// <summary>
/// `tail`: WorkerBooted, JobTimings and WorkflowFailed as they are published, filtered by worker,
/// batch and kind. JobTimings carries only a JobId: its worker and batch come from the job's
/// WorkflowAccepted (waited for up to 2 s: the two can be handled out of order), so jobs accepted
/// before tail started show "?" (the map grows by one small entry per job).
/// </summary>
public static class TailCommand
{
    public static async Task<int> RunAsync(TailSettings settings, Connection connection, OperatorIo io, CancellationToken cancellationToken)
    {
        var jobs = new ConcurrentDictionary<string, (string? Worker, string? Batch)>(StringComparer.Ordinal);
        var write = new Lock();
        await using var listener = await EventListener.StartAsync(connection, "tail", async m =>
        {
            if (m is JobTimings early && !jobs.ContainsKey(early.JobId))
            {
                await WaitForAcceptedAsync(early.JobId, jobs, cancellationToken);
            }

            if (Describe(m, jobs) is { } e && Matches(e, settings))
            {
                lock (write)
                {
                    if (settings.Json)
                    {
                        io.Out.WriteLine(TailFormatter.ToJson(e));
                        io.Out.Flush();
                    }
                    else
                    {
                        foreach (var row in TailFormatter.ToRows(e))
                        {
                            io.Console.MarkupLine(row);
                        }
                    }
                }
            }
        }, cancellationToken);
        if (!settings.Json)
        {
            io.Console.WriteLine(TailFormatter.Header);
        }

        await io.Error.WriteLineAsync($"tail: listening on {connection.Display} (Ctrl+C to stop)");
        await io.Error.FlushAsync(cancellationToken);
        try
        {
            await Task.Delay(settings.Duration ?? Timeout.InfiniteTimeSpan, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C: a normal end
        }

        return 0;
    }

    // The listener handles messages concurrently, so a small job's JobTimings can be handled before
    // its WorkflowAccepted (which names its worker and batch): give that a moment to arrive.
    private static async Task WaitForAcceptedAsync(string jobId, ConcurrentDictionary<string, (string? Worker, string? Batch)> jobs, CancellationToken cancellationToken)
    {
        try
        {
            for (var i = 0; i < AcceptedWaitSteps && !jobs.ContainsKey(jobId); i++)
            {
                await Task.Delay(AcceptedWaitStep, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
            // stopping: print what is known
        }
    }

    private const int AcceptedWaitSteps = 40;

    private static readonly TimeSpan AcceptedWaitStep = TimeSpan.FromMilliseconds(50);

    private static TailEvent? Describe(object message, ConcurrentDictionary<string, (string? Worker, string? Batch)> jobs)
    {
        var now = DateTimeOffset.Now;
        switch (message)
        {
            case WorkflowAccepted a:
                jobs[a.JobId] = (a.WorkerId, a.BatchId);
                return null;
            case WorkerBooted b:
                return new TailEvent(now, "booted", b.WorkerId, null, null, b);
            case JobTimings t:
                var known = jobs.GetValueOrDefault(t.JobId);
                return new TailEvent(now, "timings", known.Worker, known.Batch, t.JobId, t);
            case WorkflowFailed f:
                var seen = jobs.GetValueOrDefault(f.JobId);
                return new TailEvent(now, "failed", seen.Worker, f.BatchId ?? seen.Batch, f.JobId, f);
            default:
                return null;
        }
    }

    private static bool Matches(TailEvent e, TailSettings s) =>
        s.Kinds.Contains(e.Kind)
        && (s.Worker is null || e.WorkerId == s.Worker)
        && (s.Batch is null || e.BatchId == s.Batch);
}
