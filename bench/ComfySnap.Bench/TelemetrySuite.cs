using ComfySnap.Bench.Bus;
using ComfySnap.Contracts;
using ComfySnap.TestSupport.Otlp;
using Spectre.Console;

namespace ComfySnap.Bench;

/// <summary>
/// `telemetry`: the per-job bus overhead (send -> WorkflowCompleted minus execute, the overhead
/// suite's job) with OpenTelemetry off and on, side by side: two `serve` workers on queues of their
/// own, one exporting every span and metric over OTLP/HTTP to a receiver in this process that
/// accepts and discards. Blocks of jobs alternate between the two (off-on, then on-off) so load
/// from anything else on the machine falls on both alike.
/// </summary>
public sealed class TelemetrySuite(BenchContext context, int jobs)
{
    private const int Rounds = 10;

    public async Task<Dictionary<string, object?>> RunAsync(CancellationToken ct)
    {
        await using var receiver = OtlpReceiver.Start(keep: false);
        await using var off = await BusBench.StartAsync(context, workerCount: 1, ct);
        await using var on = await BusBench.StartAsync(context, workerCount: 1, ct, new Dictionary<string, string?>
        {
            ["Telemetry:Otlp:Endpoint"] = receiver.Endpoint,
            ["Telemetry:Otlp:Protocol"] = "http/protobuf",
            // Metrics more often than the default 15 s, so a run of a minute exports them several times.
            ["Telemetry:Otlp:MetricInterval"] = "00:00:02",
        });

        var sides = new[] { new Side("off", off), new Side("on", on) };
        foreach (var side in sides)
        {
            await LatencySeries.RunAsync(side.Bench, 1, 20, side.Next, ct); // warm-up: JIT, connections, the exporter
        }

        var block = Math.Max(1, jobs / Rounds);
        for (var round = 0; round < Rounds; round++)
        {
            foreach (var side in round % 2 == 0 ? sides : [sides[1], sides[0]])
            {
                var samples = await LatencySeries.RunAsync(side.Bench, 1, block, side.Next, ct);
                side.Samples.AddRange(samples);
                side.RoundMedians.Add(Stats.Of([.. samples.Select(s => s.OverheadMs)]).Median);
            }

            AnsiConsole.MarkupLineInterpolated($"  round {round + 1}/{Rounds}: off p50 {sides[0].RoundMedians[^1]:0.00} ms, on p50 {sides[1].RoundMedians[^1]:0.00} ms");
        }

        off.EnsureWorkersAlive();
        on.EnsureWorkersAlive();
        // The batch span processor exports every 5 s: wait for one so the run provably exported.
        for (var wait = 0; wait < 100 && receiver.TraceRequests == 0; wait++)
        {
            await Task.Delay(100, ct);
        }

        if (receiver.TraceRequests == 0)
        {
            throw new InvalidOperationException("the telemetry-on worker exported no spans: the measurement would be of nothing");
        }

        var offOverhead = Stats.Of([.. sides[0].Samples.Select(s => s.OverheadMs)]);
        var onOverhead = Stats.Of([.. sides[1].Samples.Select(s => s.OverheadMs)]);
        var roundDeltas = sides[1].RoundMedians.Zip(sides[0].RoundMedians, (a, b) => a - b).ToArray();
        return new Dictionary<string, object?>
        {
            ["off_overhead_ms_p50"] = offOverhead.Median,
            ["off_overhead_ms_p99"] = offOverhead.P99,
            ["on_overhead_ms_p50"] = onOverhead.Median,
            ["on_overhead_ms_p99"] = onOverhead.P99,
            // What exporting telemetry adds to a job's overhead, median of all jobs each side.
            ["telemetry_added_ms_p50"] = onOverhead.Median - offOverhead.Median,
            ["telemetry_added_ms_p99"] = onOverhead.P99 - offOverhead.P99,
            // The same per round (on minus off, block medians): its spread says how much of the difference is noise.
            ["telemetry_added_ms_by_round"] = Stats.Of(roundDeltas),
            ["off_overhead_ms"] = offOverhead,
            ["on_overhead_ms"] = onOverhead,
            ["off_worker_total_minus_execute_ms"] = Stats.Of([.. sides[0].Samples.Select(s => s.Completed.Timings.TotalMs - s.Completed.Timings.ExecuteMs)]),
            ["on_worker_total_minus_execute_ms"] = Stats.Of([.. sides[1].Samples.Select(s => s.Completed.Timings.TotalMs - s.Completed.Timings.ExecuteMs)]),
            ["rounds"] = Rounds,
            ["jobs_per_side"] = sides[0].Samples.Count,
            ["otlp_trace_requests"] = receiver.TraceRequests,
            ["otlp_metric_requests"] = receiver.MetricRequests,
            ["otlp_bytes"] = receiver.Bytes,
            ["off_round_medians_ms"] = sides[0].RoundMedians.Select(m => Math.Round(m, 3)).ToArray(),
            ["on_round_medians_ms"] = sides[1].RoundMedians.Select(m => Math.Round(m, 3)).ToArray(),
        };
    }

    // One worker and its series; both sides run the same sequence of workflows (each a cache miss in its own key prefix).
    private sealed class Side(string name, BusBench bench)
    {
        private int _variant;

        public string Name { get; } = name;

        public BusBench Bench { get; } = bench;

        public List<LatencySeries.Sample> Samples { get; } = [];

        public List<double> RoundMedians { get; } = [];

        public RunWorkflow Next(int publisher, int index)
        {
            var v = Interlocked.Increment(ref _variant);
            return new($"telemetry-{Name}-{Bench.Id}-{v}", TinyWorkflows.Render(v));
        }
    }
}
