using System.Text;
using ComfySnap.Worker.Boot;
using ComfySnap.Engine;
using ComfySnap.Worker.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;

namespace ComfySnap.Bench;

/// <summary>A booted worker host without a bus (node cache off, no node packs) for engine-level measurements.</summary>
public sealed class EngineHost : IDisposable
{
    private readonly IHost _host;

    private EngineHost(IHost host) => _host = host;

    public IServiceProvider Services => _host.Services;

    public WorkflowEngine Engine => _host.Services.GetRequiredService<WorkflowEngine>();

    /// <summary>Boots the host; <paramref name="settings"/> add to (or replace) the bench defaults (e.g. Models:BaseDirectory).</summary>
    public static async Task<EngineHost> StartAsync(string workDirectory, CancellationToken ct, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var configuration = new Dictionary<string, string?>
        {
            ["Engine:NodeCacheBytes"] = "0",
            ["Workspace:OutputDirectory"] = Path.Combine(workDirectory, "output"),
            ["NodePacks:Directory"] = Path.Combine(workDirectory, "no-packs"),
            ["Serilog:MinimumLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            configuration[key] = value;
        }

        var host = WorkerHostFactory.CreateBuilder(configuration, logToStandardError: true).Build();
        await host.Services.GetRequiredService<ColdBoot>().RunAsync(new PhaseTimer(NullLogger.Instance), ct);
        return new EngineHost(host);
    }

    /// <summary>
    /// EmptyImage 1x1 -> N x ImageInvert -> PreviewImage: the nodes do almost nothing, so the time
    /// is the executor's own per-node cost (signature, scope, bookkeeping) plus a tiny torch op.
    /// </summary>
    public static string Chain(int length)
    {
        var json = new StringBuilder("{\"0\":{\"class_type\":\"EmptyImage\",\"inputs\":{\"width\":1,\"height\":1,\"batch_size\":1,\"color\":0}}");
        for (var i = 1; i <= length; i++)
        {
            json.Append(System.Globalization.CultureInfo.InvariantCulture, $",\"{i}\":{{\"class_type\":\"ImageInvert\",\"inputs\":{{\"image\":[\"{i - 1}\",0]}}}}");
        }

        json.Append(System.Globalization.CultureInfo.InvariantCulture, $",\"out\":{{\"class_type\":\"PreviewImage\",\"inputs\":{{\"images\":[\"{length}\",0]}}}}}}");
        return json.ToString();
    }

    public void Dispose() => _host.Dispose();
}
