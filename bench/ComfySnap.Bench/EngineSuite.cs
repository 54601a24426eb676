using System.Diagnostics;

namespace ComfySnap.Bench;

/// <summary>
/// `engine`: executor overhead per node (a chain of trivial nodes on a 1x1 image, node cache
/// off) and image-ops throughput (workflows/image-ops.json, cache off).
/// </summary>
public sealed class EngineSuite(BenchContext context, int runs)
{
    private const int ChainLength = 100;

    public async Task<Dictionary<string, object?>> RunAsync(CancellationToken ct)
    {
        using var host = await EngineHost.StartAsync(Path.Combine(context.WorkDirectory, "engine"), ct);
        var engine = host.Engine;

        var chain = engine.Validate(EngineHost.Chain(ChainLength), out var chainWorkflow);
        var ops = engine.Validate(await File.ReadAllTextAsync(Path.Combine(context.RepoRoot, "workflows", "image-ops.json"), ct), out var opsWorkflow);
        if (chainWorkflow is null || opsWorkflow is null)
        {
            throw new InvalidOperationException(chain.Describe() + ops.Describe());
        }

        var perNodeUs = new List<double>();
        for (var i = 0; i < runs * 20; i++)
        {
            var result = await engine.RunAsync(chainWorkflow, null, ct);
            if (i >= runs)
            {
                perNodeUs.Add(result.TotalMilliseconds * 1000 / result.Timings.Count);
            }
        }

        var opsMs = new List<double>();
        for (var i = 0; i < runs + 2; i++)
        {
            var watch = Stopwatch.StartNew();
            await engine.RunAsync(opsWorkflow, null, ct);
            if (i >= 2)
            {
                opsMs.Add(watch.Elapsed.TotalMilliseconds);
            }
        }

        var opsStats = Stats.Of(opsMs);
        return new Dictionary<string, object?>
        {
            ["node_overhead_us"] = Stats.Of(perNodeUs),
            ["chain_length"] = ChainLength,
            ["image_ops_ms"] = opsStats,
            ["image_ops_per_s"] = 1000 / opsStats.Median,
        };
    }
}
