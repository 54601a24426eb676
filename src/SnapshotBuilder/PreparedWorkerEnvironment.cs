using System.Diagnostics;
using System.Globalization;
using ComfySnap.Snapshots;

namespace ComfySnap.SnapshotBuilder;

/// <summary>
/// The whole environment of a worker being prepared: built from scratch (nothing inherited), so
/// no broker address, credential or token can end up in the snapshot.
/// </summary>
public static class PreparedWorkerEnvironment
{
    public static Dictionary<string, string> For(BuildRequest request)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["PATH"] = Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin",
            ["HOME"] = "/tmp",
            ["DOTNET_ROOT"] = Path.GetDirectoryName(Path.GetFullPath(request.Dotnet)) is { } root && File.Exists(Path.Combine(root, "dotnet"))
                ? root : Environment.GetEnvironmentVariable("DOTNET_ROOT") ?? "",
            // Each restore would re-bind the same diagnostics socket; concurrent restores collide.
            ["DOTNET_EnableDiagnostics"] = "0",
            // FileStream's flock makes criu refuse the dump.
            ["DOTNET_SYSTEM_IO_DISABLEFILELOCKING"] = "1",
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            // A bounded GC reservation: without it criu's lazy restore cannot map the GC's huge
            // anonymous reservation ("Unable to map ANON_VMA").
            ["DOTNET_GCRegionRange"] = "0x100000000",
            // W^X maps JIT code twice through a memfd (13 MB here): criu restores that memfd eagerly,
            // page by page, even with --lazy-pages (about 64 ms of every restore on this VM kind).
            ["DOTNET_EnableWriteXorExecute"] = "0",
            ["MASSTRANSIT_USAGE_TELEMETRY"] = "false",
            // malloc's heaps in 2 MiB pages: fewer page faults per job (read at process start, so here).
            [NativeAllocatorTuning.VariableName] = NativeAllocatorTuning.For(Environment.GetEnvironmentVariable(NativeAllocatorTuning.VariableName)),
            // Snapshots serve RabbitMQ; its address and credentials arrive only after a restore.
            ["COMFYSNAP_Bus__Transport"] = "RabbitMq",
            ["COMFYSNAP_Models__BaseDirectory"] = Path.GetFullPath(request.ModelsDirectory),
            ["COMFYSNAP_NodePacks__Directory"] = Path.GetFullPath(request.NodePackDirectory),
        };
        // Build-time worker settings (Section:Key, e.g. Snapshot:TrimNativeHeap=false), as the worker reads them from its environment.
        foreach (var (key, value) in request.WorkerSettings ?? new Dictionary<string, string>())
        {
            env["COMFYSNAP_" + key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        for (var i = 0; i < request.Preload.Count; i++)
        {
            env[$"COMFYSNAP_Models__Preload__{i.ToString(CultureInfo.InvariantCulture)}"] = request.Preload[i];
        }

        return env;
    }

    /// <summary>
    /// A `prepare` worker started in place (no namespace, no checkpoint), stdio redirected: the cold
    /// side of the demo's and the boot bench's comparisons, booted exactly like the one the builder
    /// checkpoints.
    /// </summary>
    public static ProcessStartInfo ColdStartInfo(BuildRequest request, string? workingDirectory = null)
    {
        var info = new ProcessStartInfo(request.Dotnet)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? "",
        };
        info.ArgumentList.Add(request.WorkerDll);
        info.ArgumentList.Add("prepare");
        info.Environment.Clear();
        foreach (var (k, v) in For(request))
        {
            info.Environment[k] = v;
        }

        return info;
    }
}
