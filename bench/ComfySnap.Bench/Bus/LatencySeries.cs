using System.Diagnostics;
using ComfySnap.Contracts;

namespace ComfySnap.Bench.Bus;

/// <summary>Round trips (send -> first answer) run by one or more closed-loop publishers.</summary>
public static class LatencySeries
{
    /// <summary>One measured job: the round trip and the answer it got.</summary>
    public sealed record Sample(double RoundTripMs, WorkflowCompleted Completed)
    {
        /// <summary>What the bus, cache and bookkeeping added on top of running the nodes.</summary>
        public double OverheadMs => RoundTripMs - Completed.Timings.ExecuteMs;
    }

    /// <summary>
    /// <paramref name="publishers"/> loops, each sending its next job only after the previous one
    /// was answered, <paramref name="jobsPerPublisher"/> jobs each.
    /// </summary>
    public static async Task<List<Sample>> RunAsync(BusBench bench, int publishers, int jobsPerPublisher, Func<int, int, RunWorkflow> job, CancellationToken ct)
    {
        var samples = new List<Sample>();
        await Task.WhenAll(Enumerable.Range(0, publishers).Select(async p =>
        {
            for (var i = 0; i < jobsPerPublisher; i++)
            {
                var start = Stopwatch.GetTimestamp();
                var answer = await bench.RoundTripAsync(job(p, i), TimeSpan.FromSeconds(60), ct);
                var completed = answer.Completed
                    ?? throw new InvalidOperationException($"job failed: {answer.Failed?.Kind} {answer.Failed?.Message}");
                lock (samples)
                {
                    samples.Add(new Sample(Stopwatch.GetElapsedTime(start, answer.ReceivedAt).TotalMilliseconds, completed));
                }
            }
        }));
        return samples;
    }
}
