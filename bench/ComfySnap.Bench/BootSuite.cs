using System.Diagnostics;
using System.Text.Json;
using ComfySnap.SnapshotBuilder;
using ComfySnap.Snapshots;
using ComfySnap.Worker.Boot;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Spectre.Console;
using TorchSharp;

namespace ComfySnap.Bench;

/// <summary>
/// `boot`: the same worker profile (a preloaded model, every shipped node pack) started cold and
/// restored from its snapshot, alternating, with the page cache warm and dropped. Measures time
/// to ready (BOOTED) and to the first completed job.
/// </summary>
public sealed class BootSuite(BenchContext context, int runs, int modelMiB)
{
    private const string FirstJob = """
        {"1":{"class_type":"EmptyImage","inputs":{"width":256,"height":256,"batch_size":1,"color":255}},
         "2":{"class_type":"ImageBlur","inputs":{"image":["1",0],"blur_radius":3,"sigma":1.5}},
         "3":{"class_type":"PreviewImage","inputs":{"images":["2",0]}}}
        """;

    public async Task<Dictionary<string, object?>> RunAsync(CancellationToken ct)
    {
        var work = Path.Combine(context.WorkDirectory, "boot");
        var models = Path.Combine(work, "models");
        var model = Path.Combine(models, "checkpoints", $"bench-{modelMiB}mib.safetensors");
        if (!File.Exists(model))
        {
            WriteModel(model, modelMiB);
        }

        var request = new BuildRequest(Path.Combine(work, "snapshot"), context.WorkerDll, context.Dotnet, models, context.NodePackDirectory,
            [$"checkpoints/{Path.GetFileName(model)}"], [], TimeSpan.FromMinutes(10));
        var builder = new SnapshotBuilderService(context.Criu, NullLogger<SnapshotBuilderService>.Instance);
        var manifest = await builder.BuildAsync(request, ct);
        var restorer = new SnapshotRestorer(context.Criu, Options.Create(new SnapshotOptions
        {
            Directory = request.OutputDirectory,
            WorkDirectory = Path.Combine(work, "restore-work"),
            WorkerDirectory = Path.GetDirectoryName(context.WorkerDll)!,
            HandshakeTimeout = TimeSpan.FromMinutes(2),
            LazyPages = Environment.GetEnvironmentVariable("COMFYSNAP_Snapshot__LazyPages") == "true",
        }), NullLogger<SnapshotRestorer>.Instance);

        var samples = new List<(string Mode, string Cache, double Ready, double FirstJob, IReadOnlyList<BootPhase> Phases)>();
        foreach (var cache in new[] { "warm", "dropped" })
        {
            for (var i = 0; i < runs; i++)
            {
                foreach (var mode in new[] { "cold", "restore" })
                {
                    if (cache == "dropped" && !DropPageCache())
                    {
                        continue;
                    }

                    var sample = mode == "cold" ? await ColdAsync(request, ct) : await RestoreAsync(restorer, ct);
                    samples.Add((mode, cache, sample.Ready, sample.FirstJob, sample.Phases));
                    AnsiConsole.MarkupLineInterpolated($"  {cache,-7} {mode,-7} run {i + 1}: ready {sample.Ready:0} ms, first job {sample.FirstJob:0} ms");
                }
            }
        }

        var result = new Dictionary<string, object?> { ["image_bytes"] = manifest.ImageBytes, ["model_bytes"] = new FileInfo(model).Length, ["runs_per_mode"] = runs };
        foreach (var cache in samples.Select(s => s.Cache).Distinct())
        {
            var suffix = cache == "warm" ? "" : "_cache_dropped";
            Stats Of(string mode, Func<(string Mode, string Cache, double Ready, double FirstJob, IReadOnlyList<BootPhase> Phases), double> pick) =>
                Stats.Of([.. samples.Where(s => s.Mode == mode && s.Cache == cache).Select(pick)]);
            var coldReady = Of("cold", s => s.Ready);
            var restoreReady = Of("restore", s => s.Ready);
            var coldJob = Of("cold", s => s.FirstJob);
            var restoreJob = Of("restore", s => s.FirstJob);
            result["cold_ready_ms" + suffix] = coldReady;
            result["restore_ready_ms" + suffix] = restoreReady;
            result["speedup_ready" + suffix] = coldReady.Median / restoreReady.Median;
            result["cold_first_job_ms" + suffix] = coldJob;
            result["restore_first_job_ms" + suffix] = restoreJob;
            result["speedup_first_job" + suffix] = coldJob.Median / restoreJob.Median;
            foreach (var mode in new[] { "cold", "restore" })
            {
                result[$"{mode}_phases_median_ms{suffix}"] = samples.Where(s => s.Mode == mode && s.Cache == cache)
                    .SelectMany(s => s.Phases).GroupBy(p => p.Name).ToDictionary(g => g.Key, g => Stats.Of([.. g.Select(p => p.Milliseconds)]).Median);
            }
        }

        return result;
    }

    private static async Task<(double Ready, double FirstJob, IReadOnlyList<BootPhase> Phases)> ColdAsync(BuildRequest request, CancellationToken ct)
    {
        var info = new ProcessStartInfo(request.Dotnet) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(request.WorkerDll);
        info.ArgumentList.Add("prepare");
        info.Environment.Clear();
        foreach (var (k, v) in PreparedWorkerEnvironment.For(request))
        {
            info.Environment[k] = v;
        }

        var watch = Stopwatch.StartNew();
        using var process = Process.Start(info)!;
        _ = process.StandardError.ReadToEndAsync(ct);
        await process.StandardInput.WriteLineAsync(JsonSerializer.Serialize(new ResumeConfig("bench-cold", new Dictionary<string, string?>())));
        await process.StandardInput.FlushAsync(ct);
        var phases = new List<BootPhase>();
        while (await process.StandardOutput.ReadLineAsync(ct) is { } line)
        {
            if (line.StartsWith(PrepareProtocol.ReadyPrefix, StringComparison.Ordinal))
            {
                phases.AddRange(PrepareProtocol.ParseReady(line).Select(p => new BootPhase(p.Name, p.Milliseconds)));
            }
            else if (line.StartsWith(PrepareProtocol.BootedPrefix, StringComparison.Ordinal))
            {
                phases.AddRange(PrepareProtocol.ParseBooted(line).Phases.Select(p => new BootPhase(p.Name, p.Milliseconds)));
                break;
            }
        }

        var ready = watch.Elapsed.TotalMilliseconds;
        await process.StandardInput.WriteLineAsync(JsonSerializer.Serialize(FirstJob));
        await process.StandardInput.FlushAsync(ct);
        var answer = await process.StandardOutput.ReadLineAsync(ct);
        var firstJob = watch.Elapsed.TotalMilliseconds;
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync(ct);
        return answer?.StartsWith("RESULT", StringComparison.Ordinal) == true ? (ready, firstJob, phases) : throw new InvalidOperationException($"cold worker answered '{answer}'");
    }

    private static async Task<(double Ready, double FirstJob, IReadOnlyList<BootPhase> Phases)> RestoreAsync(SnapshotRestorer restorer, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        var outcome = await restorer.RestoreAsync(new ResumeConfig("bench-restore", new Dictionary<string, string?>()), ct);
        if (!outcome.Restored)
        {
            throw new InvalidOperationException($"restore fell back: {outcome.Fallback}");
        }

        await using var process = outcome.Process!;
        var ready = watch.Elapsed.TotalMilliseconds;
        await process.StandardInput.WriteLineAsync(JsonSerializer.Serialize(FirstJob));
        await process.StandardInput.FlushAsync(ct);
        var answer = await process.StandardOutput.ReadLineAsync(ct);
        var firstJob = watch.Elapsed.TotalMilliseconds;
        return answer?.StartsWith("RESULT", StringComparison.Ordinal) == true ? (ready, firstJob, outcome.Phases) : throw new InvalidOperationException($"restored worker answered '{answer}'");
    }

    // Drops the page cache so both modes read their files from disk (needs root).
    private static bool DropPageCache()
    {
        try
        {
            Process.Start("sync")?.WaitForExit();
            File.WriteAllText("/proc/sys/vm/drop_caches", "3");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static void WriteModel(string path, int mib)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var scope = torch.NewDisposeScope();
        var tensors = new Dictionary<string, torch.Tensor>();
        for (var i = 0; i < Math.Max(1, mib / 256); i++)
        {
            tensors[$"block{i}.weight"] = torch.rand(Math.Min(mib, 256) * 262_144L);
        }

        ComfySnap.Worker.Models.SafetensorsWriter.Save(path, tensors);
    }
}
