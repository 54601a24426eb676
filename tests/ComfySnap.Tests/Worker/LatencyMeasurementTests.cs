using System.Diagnostics;
using System.Globalization;
using ComfySnap.Contracts;
using ComfySnap.Tests.Engine.Support;
using ComfySnap.Tests.Worker.Support;
using Xunit.Abstractions;

namespace ComfySnap.Tests.Worker;

/// <summary>Measures end-to-end overhead over RabbitMQ (round trip minus engine time) and cache-hit latency.</summary>
public sealed class LatencyMeasurementTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Overhead_per_job_and_cache_hit_latency()
    {
        await using var worker = await RabbitWorkerHarness.StartAsync(settings: new Dictionary<string, string?> { ["Serilog:MinimumLevel:Default"] = "Warning" });
        var workflow = EngineHarness.Workflow("image-ops.json");
        var overheads = new List<double>();
        var executes = new List<double>();
        var hits = new List<double>();
        for (var i = 0; i < 7; i++)
        {
            var (done, ms) = await RoundTripAsync(worker, new RunWorkflow($"measure-run-{i}", workflow, CachePolicy: i == 0 ? CachePolicy.Use : CachePolicy.Refresh));
            Assert.False(done.FromCache);
            if (i > 0)
            {
                overheads.Add(ms - done.Timings.ExecuteMs);
                executes.Add(done.Timings.ExecuteMs);
            }
        }

        for (var i = 0; i < 7; i++)
        {
            var (done, ms) = await RoundTripAsync(worker, new RunWorkflow($"measure-hit-{i}", workflow));
            Assert.True(done.FromCache);
            hits.Add(ms);
        }

        var report = string.Create(CultureInfo.InvariantCulture,
            $"RabbitMQ+Redis: overhead (round trip - execute) median {Median(overheads):0.0} ms [{string.Join(", ", overheads.Select(v => v.ToString("0.0", CultureInfo.InvariantCulture)))}]; execute median {Median(executes):0.0} ms; cache hit round trip median {Median(hits):0.0} ms [{string.Join(", ", hits.Select(v => v.ToString("0.0", CultureInfo.InvariantCulture)))}]");
        output.WriteLine(report);
        await File.WriteAllTextAsync(Path.Combine(Path.GetTempPath(), "comfysnap-worker-latency.txt"), report);
        Assert.True(Median(hits) < 1000, report);
    }

    private static async Task<(WorkflowCompleted Done, double Ms)> RoundTripAsync(RabbitWorkerHarness worker, RunWorkflow job)
    {
        var start = Stopwatch.GetTimestamp();
        await worker.SendAsync(job);
        var (done, at) = await worker.Events.WaitAsync<WorkflowCompleted>(c => c.JobId == job.JobId, TimeSpan.FromSeconds(60));
        return (done, Stopwatch.GetElapsedTime(start, at).TotalMilliseconds);
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
