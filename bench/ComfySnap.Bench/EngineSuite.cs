using System.Diagnostics;
using System.Text;
using ComfySnap.Worker.Boot;
using ComfySnap.Worker.Engine;
using ComfySnap.Worker.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

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
        var work = Path.Combine(context.WorkDirectory, "engine");
        using var host = WorkerHostFactory.CreateBuilder(new Dictionary<string, string?>
        {
            ["Engine:NodeCacheBytes"] = "0",
            ["Workspace:OutputDirectory"] = Path.Combine(work, "output"),
            ["NodePacks:Directory"] = Path.Combine(work, "no-packs"),
            ["Serilog:MinimumLevel:Default"] = "Warning",
        }, logToStandardError: true).Build();
        host.Services.GetRequiredService<DeviceService>().Initialize();
        await host.Services.GetRequiredService<EngineBoot>().RunAsync(new PhaseTimer(NullLogger.Instance), ct);
        var engine = host.Services.GetRequiredService<WorkflowEngine>();

        var chain = engine.Validate(Chain(ChainLength), out var chainWorkflow);
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

    // EmptyImage 1x1 -> N x ImageInvert -> PreviewImage: the nodes do almost nothing, so the time
    // is the executor's own per-node cost (signature, scope, bookkeeping) plus a tiny torch op.
    private static string Chain(int length)
    {
        var json = new StringBuilder("{\"0\":{\"class_type\":\"EmptyImage\",\"inputs\":{\"width\":1,\"height\":1,\"batch_size\":1,\"color\":0}}");
        for (var i = 1; i <= length; i++)
        {
            json.Append(System.Globalization.CultureInfo.InvariantCulture, $",\"{i}\":{{\"class_type\":\"ImageInvert\",\"inputs\":{{\"image\":[\"{i - 1}\",0]}}}}");
        }

        json.Append(System.Globalization.CultureInfo.InvariantCulture, $",\"out\":{{\"class_type\":\"PreviewImage\",\"inputs\":{{\"images\":[\"{length}\",0]}}}}}}");
        return json.ToString();
    }
}
