using ComfySnap.Bench.Bus;
using ComfySnap.Contracts;
using Spectre.Console;

namespace ComfySnap.Bench;

/// <summary>
/// `overhead`: a trivial workflow (8x8 image, previewed) on one `serve` worker over the real
/// RabbitMQ and Redis; send -> WorkflowCompleted round trip minus the engine's execute time.
/// Every job is a new variant, so it takes the full miss path: cache lookup, run, cache store.
/// Sequential (one closed-loop publisher) and with 8 concurrent publishers.
/// </summary>
public sealed class OverheadSuite(BenchContext context, int jobs)
{
    public async Task<Dictionary<string, object?>> RunAsync(CancellationToken ct)
    {
        await using var bench = await BusBench.StartAsync(context, workerCount: 1, ct);
        var variant = 0;
        RunWorkflow Next(int publisher, int index)
        {
            var v = Interlocked.Increment(ref variant);
            return new($"overhead-{bench.Id}-{v}", TinyWorkflows.Render(v));
        }

        // Warm-up: JIT, connections, channel pools on both sides.
        await LatencySeries.RunAsync(bench, 1, 20, Next, ct);
        var sequential = await LatencySeries.RunAsync(bench, 1, jobs, Next, ct);
        AnsiConsole.MarkupLineInterpolated($"  sequential: {jobs} jobs");
        var perPublisher = Math.Max(1, jobs / 8);
        var started = System.Diagnostics.Stopwatch.StartNew();
        var concurrent = await LatencySeries.RunAsync(bench, 8, perPublisher, Next, ct);
        var concurrentSeconds = started.Elapsed.TotalSeconds;
        AnsiConsole.MarkupLineInterpolated($"  8 publishers: {concurrent.Count} jobs");
        bench.EnsureWorkersAlive();

        var floorQuorum = await BusFloor.MeasureAsync(jobs, quorum: true, ct);
        var floorClassic = await BusFloor.MeasureAsync(jobs, quorum: false, ct);
        var overhead = Stats.Of([.. sequential.Select(s => s.OverheadMs)]);
        var concurrentOverhead = Stats.Of([.. concurrent.Select(s => s.OverheadMs)]);
        return new Dictionary<string, object?>
        {
            ["overhead_ms_p50"] = overhead.Median,
            ["overhead_ms_p99"] = overhead.P99,
            ["overhead_ms"] = overhead,
            // Kept for the latency histogram (`./comfysnap bench charts`).
            ["overhead_samples_ms"] = sequential.Select(s => Math.Round(s.OverheadMs, 3)).ToArray(),
            // The same round trip with a consumer that answers at once: RabbitMQ + MassTransit alone.
            ["bus_floor_quorum_ms"] = floorQuorum,
            ["bus_floor_classic_ms"] = floorClassic,
            ["round_trip_ms"] = Stats.Of([.. sequential.Select(s => s.RoundTripMs)]),
            ["execute_ms"] = Stats.Of([.. sequential.Select(s => s.Completed.Timings.ExecuteMs)]),
            // Send -> the worker starting the job (broker, delivery, deserialization, consume pipeline).
            ["queue_wait_ms"] = Stats.Of([.. sequential.Select(s => s.Completed.Timings.QueueWaitMs)]),
            // Worker-side part of the overhead: taking the job to publishing the result.
            ["worker_total_minus_execute_ms"] = Stats.Of([.. sequential.Select(s => s.Completed.Timings.TotalMs - s.Completed.Timings.ExecuteMs)]),
            // With 8 publishers and one worker (one job at a time) this includes waiting behind the other 7.
            ["overhead_8_publishers_ms_p50"] = concurrentOverhead.Median,
            ["overhead_8_publishers_ms_p99"] = concurrentOverhead.P99,
            ["overhead_8_publishers_ms"] = concurrentOverhead,
            ["queue_wait_8_publishers_ms"] = Stats.Of([.. concurrent.Select(s => s.Completed.Timings.QueueWaitMs)]),
            ["jobs_per_s_8_publishers"] = concurrent.Count / concurrentSeconds,
        };
    }
}
