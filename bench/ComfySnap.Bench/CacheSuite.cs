using ComfySnap.Bench.Bus;
using ComfySnap.Contracts;

namespace ComfySnap.Bench;

/// <summary>
/// `cache`: the overhead suite's workflow answered from the Redis output cache: one render primes
/// the cache, then every job (a new JobId, same workflow) is a hit; send -> WorkflowCompleted round trip.
/// </summary>
public sealed class CacheSuite(BenchContext context, int jobs)
{
    public async Task<Dictionary<string, object?>> RunAsync(CancellationToken ct)
    {
        await using var bench = await BusBench.StartAsync(context, workerCount: 1, ct);
        var workflow = TinyWorkflows.Render(42);
        var primed = await bench.RoundTripAsync(new RunWorkflow($"cache-{bench.Id}-prime", workflow), TimeSpan.FromSeconds(60), ct);
        if (primed.Completed is not { FromCache: false })
        {
            throw new InvalidOperationException($"priming job did not render: {primed.Failed?.Message}");
        }

        RunWorkflow Hit(int publisher, int index) => new($"cache-{bench.Id}-{publisher}-{index}", workflow);
        var warmUp = await LatencySeries.RunAsync(bench, 1, 20, (p, i) => Hit(p + 100, i), ct);
        var hits = await LatencySeries.RunAsync(bench, 1, jobs, Hit, ct);
        var misses = hits.Concat(warmUp).Count(s => !s.Completed.FromCache);
        if (misses > 0)
        {
            throw new InvalidOperationException($"{misses} job(s) of the same workflow were not cache hits");
        }

        bench.EnsureWorkersAlive();
        var roundTrip = Stats.Of([.. hits.Select(s => s.RoundTripMs)]);
        return new Dictionary<string, object?>
        {
            ["cache_hit_ms_p50"] = roundTrip.Median,
            ["cache_hit_ms_p99"] = roundTrip.P99,
            ["cache_hit_ms"] = roundTrip,
            // Kept for the latency histogram (`./comfysnap bench charts`).
            ["cache_hit_samples_ms"] = hits.Select(s => Math.Round(s.RoundTripMs, 3)).ToArray(),
            // Worker side: the Redis lookup alone, and taking the job to publishing the result.
            ["cache_lookup_ms"] = Stats.Of([.. hits.Select(s => s.Completed.Timings.CacheLookupMs)]),
            ["worker_total_ms"] = Stats.Of([.. hits.Select(s => s.Completed.Timings.TotalMs)]),
        };
    }
}
