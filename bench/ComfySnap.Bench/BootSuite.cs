using System.Diagnostics;
using System.Text.Json;
using ComfySnap.SnapshotBuilder;
using ComfySnap.Snapshots;
using ComfySnap.Worker.Boot;
using ComfySnap.Worker.Models.Diffusion.Generation;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Spectre.Console;

namespace ComfySnap.Bench;

/// <summary>
/// `boot`: the same worker profile (a preloaded model, every shipped node pack) started cold and
/// restored from its snapshot in several ways, interleaved in each run, with the page cache warm
/// and dropped. Modes: cold; restore (eager, criu's kerndat cache kept); restore_no_kdat (the
/// cache removed first); lazy (criu --lazy-pages); standby (a copy parked before the run, then
/// only the staleness check and the handshake are timed). Measures time to ready (BOOTED) and to
/// the first completed job, records the page-cache state and load average before every run, and
/// checks that every first job answered the same image. Profiles: "blob" preloads a small SD checkpoint padded with unused tensors to
/// <paramref name="modelMiB"/> MiB and blurs a 256x256 image; "sd" preloads a checkpoint of
/// <paramref name="preset"/> (SD 1.5's sizes by default) and renders ComfyUI's default graph at
/// 256x256 with one step.
/// </summary>
public sealed class BootSuite(BenchContext context, int runs, int modelMiB, string profile, CheckpointPreset preset, IReadOnlyList<string> modes)
{
    public const string BlobProfile = "blob";
    public const string SdProfile = "sd";

    public static readonly string[] AllModes = ["cold", "restore", "restore_no_kdat", "lazy", "standby"];

    /// <summary>The sd profile's first job is a ~10 s render: fewer modes (the kerndat cache is criu's cost, measured by blob) keep it near 6 minutes.</summary>
    public static readonly string[] SdModes = ["cold", "restore", "lazy", "standby"];

    private const string BlurJob = """
        {"1":{"class_type":"EmptyImage","inputs":{"width":256,"height":256,"batch_size":1,"color":255}},
         "2":{"class_type":"ImageBlur","inputs":{"image":["1",0],"blur_radius":3,"sigma":1.5}},
         "3":{"class_type":"PreviewImage","inputs":{"images":["2",0]}}}
        """;

    /// <summary>ComfyUI's default graph with the bench checkpoint, 256x256 and one step.</summary>
    public static string DefaultWorkflowJob(string repoRoot, string checkpointName, int size, int steps)
    {
        var graph = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(repoRoot, "workflows", "default-txt2img.json")))!;
        graph["4"]!["inputs"]!["ckpt_name"] = checkpointName;
        graph["5"]!["inputs"]!["width"] = size;
        graph["5"]!["inputs"]!["height"] = size;
        graph["3"]!["inputs"]!["steps"] = steps;
        return graph.ToJsonString();
    }

    public async Task<Dictionary<string, object?>> RunAsync(CancellationToken ct)
    {
        var models = new BenchModels(Path.Combine(context.WorkDirectory, "models"));
        var checkpoint = profile switch
        {
            BlobProfile => models.PaddedCheckpoint(modelMiB),
            SdProfile => models.Checkpoint(preset),
            _ => throw new ArgumentException($"unknown boot profile '{profile}' ({BlobProfile}, {SdProfile})"),
        };
        var work = Path.Combine(context.WorkDirectory, profile == BlobProfile ? "boot" : "boot-" + profile);
        var firstJob = profile == BlobProfile ? BlurJob : DefaultWorkflowJob(context.RepoRoot, checkpoint, 256, 1);
        var model = models.PathOf(checkpoint);
        var request = new BuildRequest(Path.Combine(work, "snapshot"), context.WorkerDll, context.Dotnet, models.Directory, context.NodePackDirectory,
            [$"{BenchModels.Kind}/{checkpoint}"], [], TimeSpan.FromMinutes(20));
        AnsiConsole.MarkupLineInterpolated($"  profile {profile}: {checkpoint} ({new FileInfo(model).Length / 1048576.0:F0} MiB), building the snapshot ...");
        var builder = new SnapshotBuilderService(context.Criu, NullLogger<SnapshotBuilderService>.Instance);
        var manifest = await builder.BuildAsync(request, ct);
        var unknown = modes.Except(AllModes).ToList();
        if (unknown.Count > 0 || modes.Count == 0)
        {
            throw new ArgumentException($"unknown boot mode(s) '{string.Join(',', unknown)}' ({string.Join(',', AllModes)})");
        }

        SnapshotRestorer Restorer(CriuRunner criu, bool lazyPages) => new(criu, Options.Create(Settings(lazyPages)), NullLogger<SnapshotRestorer>.Instance);
        SnapshotOptions Settings(bool lazyPages) => new()
        {
            Directory = request.OutputDirectory,
            WorkDirectory = Path.Combine(work, "restore-work"),
            WorkerDirectory = Path.GetDirectoryName(context.WorkerDll)!,
            HandshakeTimeout = TimeSpan.FromMinutes(5), // a restored SD 1.5 worker pages in 4.3 GB of weights first
            LazyPages = lazyPages,
            Standby = 1,
        };
        var restorer = Restorer(context.Criu, lazyPages: false);
        var noKerndat = new CriuRunner(Options.Create(new CriuOptions { Timeout = TimeSpan.FromMinutes(5), KerndatCacheFile = null }), NullLogger<CriuRunner>.Instance);
        var restorers = new Dictionary<string, SnapshotRestorer>
        {
            ["restore"] = restorer,
            ["restore_no_kdat"] = Restorer(noKerndat, lazyPages: false),
            ["lazy"] = Restorer(context.Criu, lazyPages: true),
        };
        var kerndat = new CriuKerndatCache(new CriuOptions().Path, CriuKerndatCache.DefaultFile, NullLogger.Instance);
        AnsiConsole.MarkupLineInterpolated($"  criu kerndat cache: {await context.Criu.EnsureKerndatCacheAsync(ct)}");

        // What the page cache holds of each part before a run (this VM kind's host evicts idle file pages).
        var imageFiles = Directory.GetFiles(Path.Combine(request.OutputDirectory, SnapshotManifest.ImagesFolder));
        var libtorch = Directory.EnumerateFiles(Path.GetDirectoryName(context.WorkerDll)!, "libtorch_cpu.so", SearchOption.AllDirectories).Take(1).ToList();
        Dictionary<string, double> CacheState() => new()
        {
            ["model_mib"] = Math.Round(PageCacheState.ResidentMiB(manifest.ModelFiles.Keys), 1),
            ["images_mib"] = Math.Round(PageCacheState.ResidentMiB(imageFiles), 1),
            ["libtorch_mib"] = Math.Round(PageCacheState.ResidentMiB(libtorch), 1),
            ["load_avg"] = PageCacheState.LoadAverage(),
        };

        var samples = new List<(string Mode, string Cache, double Ready, double FirstJob, IReadOnlyList<BootPhase> Phases)>();
        var answers = new List<(string Mode, string Answer)>();
        var perRun = new List<Dictionary<string, object?>>();
        foreach (var cache in new[] { "warm", "dropped" })
        {
            for (var i = 0; i < runs; i++)
            {
                foreach (var mode in modes)
                {
                    ParkedRestore? parked = null;
                    if (mode == "standby")
                    {
                        // The copy is parked before the run (not timed), as `serve` keeps it.
                        (parked, var failure) = await restorer.ParkAsync(ct);
                        _ = parked ?? throw new InvalidOperationException($"standby restore fell back: {failure!.Fallback}");
                    }

                    if (mode == "restore_no_kdat")
                    {
                        kerndat.Remove();
                    }

                    if (cache == "dropped" && !DropPageCache())
                    {
                        if (parked is not null)
                        {
                            await parked.DisposeAsync();
                        }

                        continue;
                    }

                    var state = CacheState();
                    var sample = mode switch
                    {
                        "cold" => await ColdAsync(request, firstJob, ct),
                        "standby" => await StandbyAsync(restorer, parked!, firstJob, ct),
                        _ => await RestoreAsync(restorers[mode], firstJob, ct),
                    };
                    if (mode == "restore_no_kdat")
                    {
                        // criu left its stale temp file again; the next "restore" must find the cache as `serve` keeps it.
                        await context.Criu.EnsureKerndatCacheAsync(ct);
                    }

                    samples.Add((mode, cache, sample.Ready, sample.FirstJob, sample.Phases));
                    answers.Add((mode, sample.Answer));
                    perRun.Add(new() { ["mode"] = mode, ["cache"] = cache, ["run"] = i + 1, ["ready_ms"] = Math.Round(sample.Ready, 1), ["first_job_ms"] = Math.Round(sample.FirstJob, 1), ["page_cache_before"] = state });
                    AnsiConsole.MarkupLineInterpolated($"  {cache,-7} {mode,-15} run {i + 1}: ready {sample.Ready,5:0} ms, first job {sample.FirstJob,5:0} ms  (resident MiB: model {state["model_mib"]:0}, images {state["images_mib"]:0}, libtorch {state["libtorch_mib"]:0}; load {state["load_avg"]:0.00})");
                }
            }
        }

        var result = new Dictionary<string, object?> { ["image_bytes"] = manifest.ImageBytes, ["model_bytes"] = new FileInfo(model).Length, ["runs_per_mode"] = runs };
        result["profile"] = profile;
        result["model"] = checkpoint;
        result["modes"] = modes;
        // Every first job, cold or restored, must have answered the same image.
        var distinct = answers.Select(a => a.Answer).Distinct(StringComparer.Ordinal).ToList();
        result["first_job_identical"] = distinct.Count == 1;
        result["first_job_sha256"] = answers.GroupBy(a => a.Mode).ToDictionary(g => g.Key, g => g.Select(a => a.Answer["RESULT ".Length..]).Distinct(StringComparer.Ordinal).ToList());
        if (distinct.Count != 1)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]first jobs answered {distinct.Count} different images: {string.Join(" | ", distinct)}[/]");
        }

        foreach (var cache in samples.Select(s => s.Cache).Distinct())
        {
            var suffix = cache == "warm" ? "" : "_cache_dropped";
            Stats Of(string mode, Func<(string Mode, string Cache, double Ready, double FirstJob, IReadOnlyList<BootPhase> Phases), double> pick) =>
                Stats.Of([.. samples.Where(s => s.Mode == mode && s.Cache == cache).Select(pick)]);
            foreach (var mode in modes)
            {
                result[$"{mode}_ready_ms{suffix}"] = Of(mode, s => s.Ready);
                result[$"{mode}_first_job_ms{suffix}"] = Of(mode, s => s.FirstJob);
            }

            if (modes.Contains("cold") && modes.Contains("restore"))
            {
                result["speedup_ready" + suffix] = Of("cold", s => s.Ready).Median / Of("restore", s => s.Ready).Median;
                result["speedup_first_job" + suffix] = Of("cold", s => s.FirstJob).Median / Of("restore", s => s.FirstJob).Median;
            }

            if (modes.Contains("cold") && modes.Contains("standby"))
            {
                result["speedup_ready_standby" + suffix] = Of("cold", s => s.Ready).Median / Of("standby", s => s.Ready).Median;
            }

            if (modes.Contains("restore") && modes.Contains("lazy"))
            {
                // Lazy pages become the default only if this holds, warm and dropped.
                result["lazy_wins" + suffix] = Of("lazy", s => s.Ready).Median < Of("restore", s => s.Ready).Median
                    && Of("lazy", s => s.FirstJob).Median < Of("restore", s => s.FirstJob).Median;
            }

            foreach (var mode in modes)
            {
                result[$"{mode}_phases_median_ms{suffix}"] = samples.Where(s => s.Mode == mode && s.Cache == cache)
                    .SelectMany(s => s.Phases).GroupBy(p => p.Name).ToDictionary(g => g.Key, g => Stats.Of([.. g.Select(p => p.Milliseconds)]).Median);
            }
        }

        result["standby_private_mib"] = await StandbyMemoryAsync(restorer, ct);
        result["runs"] = perRun;
        return result;
    }

    // What one parked copy costs the host: its private memory (Private_Clean + Private_Dirty of
    // smaps_rollup; the weights and libraries are shared file pages) and its RSS.
    private static async Task<Dictionary<string, double>> StandbyMemoryAsync(SnapshotRestorer restorer, CancellationToken ct)
    {
        var (parked, failure) = await restorer.ParkAsync(ct);
        await using var owned = parked ?? throw new InvalidOperationException($"standby restore fell back: {failure!.Fallback}");
        await Task.Delay(500, ct);
        var rollup = (await File.ReadAllLinesAsync($"/proc/{parked.Process.HostPid}/smaps_rollup", ct))
            .Select(l => l.Split(':', 2)).Where(p => p.Length == 2 && p[1].Trim().EndsWith("kB", StringComparison.Ordinal))
            .ToDictionary(p => p[0], p => double.Parse(p[1].Trim()[..^2].Trim(), System.Globalization.CultureInfo.InvariantCulture) / 1024);
        return new()
        {
            ["private"] = Math.Round(rollup.GetValueOrDefault("Private_Clean") + rollup.GetValueOrDefault("Private_Dirty"), 1),
            ["rss"] = Math.Round(rollup.GetValueOrDefault("Rss"), 1),
            ["pss"] = Math.Round(rollup.GetValueOrDefault("Pss"), 1),
        };
    }

    private static async Task<(double Ready, double FirstJob, IReadOnlyList<BootPhase> Phases, string Answer)> StandbyAsync(SnapshotRestorer restorer, ParkedRestore parked, string firstJob, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        if (await restorer.StaleReasonAsync(parked, ct) is { } stale)
        {
            await parked.DisposeAsync();
            throw new InvalidOperationException($"standby copy is stale: {stale}");
        }

        var check = watch.Elapsed.TotalMilliseconds;
        var outcome = await restorer.HandshakeAsync(parked, new ResumeConfig("bench-standby", new Dictionary<string, string?>()), ct);
        if (!outcome.Restored)
        {
            throw new InvalidOperationException($"standby handshake failed: {outcome.Fallback}");
        }

        await using var process = outcome.Process!;
        var ready = watch.Elapsed.TotalMilliseconds;
        var (answer, firstJobMs) = await RunFirstJobAsync(process.StandardInput, process.StandardOutput, firstJob, watch, ct);
        IReadOnlyList<BootPhase> phases = [new("standby check", check), .. outcome.Phases.Where(p => p.Name is not ("manifest check" or "restore" or "image check" or "model files"))];
        return answer?.StartsWith("RESULT ", StringComparison.Ordinal) == true ? (ready, firstJobMs, phases, answer) : throw new InvalidOperationException($"standby worker answered '{answer}'");
    }

    private static async Task<(double Ready, double FirstJob, IReadOnlyList<BootPhase> Phases, string Answer)> ColdAsync(BuildRequest request, string firstJob, CancellationToken ct)
    {
        var info = PreparedWorkerEnvironment.ColdStartInfo(request);
        var watch = Stopwatch.StartNew();
        using var process = Process.Start(info)!;
        _ = process.StandardError.ReadToEndAsync(ct);
        await process.StandardInput.WriteLineAsync(PrepareProtocol.Resume(new ResumeConfig("bench-cold", new Dictionary<string, string?>())));
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
        var (answer, firstJobMs) = await RunFirstJobAsync(process.StandardInput, process.StandardOutput, firstJob, watch, ct);
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync(ct);
        return answer?.StartsWith("RESULT ", StringComparison.Ordinal) == true ? (ready, firstJobMs, phases, answer) : throw new InvalidOperationException($"cold worker answered '{answer}'");
    }

    /// <summary>Sends the first job over the worker's stdin protocol; its answer line and the time since start.</summary>
    private static async Task<(string? Answer, double FirstJobMs)> RunFirstJobAsync(StreamWriter input, StreamReader output, string firstJob, Stopwatch watch, CancellationToken ct)
    {
        await input.WriteLineAsync(JsonSerializer.Serialize(firstJob));
        await input.FlushAsync(ct);
        var answer = await output.ReadLineAsync(ct);
        return (answer, watch.Elapsed.TotalMilliseconds);
    }

    private static async Task<(double Ready, double FirstJob, IReadOnlyList<BootPhase> Phases, string Answer)> RestoreAsync(SnapshotRestorer restorer, string firstJob, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        var outcome = await restorer.RestoreAsync(new ResumeConfig("bench-restore", new Dictionary<string, string?>()), ct);
        if (!outcome.Restored)
        {
            throw new InvalidOperationException($"restore fell back: {outcome.Fallback}");
        }

        await using var process = outcome.Process!;
        var ready = watch.Elapsed.TotalMilliseconds;
        var (answer, firstJobMs) = await RunFirstJobAsync(process.StandardInput, process.StandardOutput, firstJob, watch, ct);
        return answer?.StartsWith("RESULT ", StringComparison.Ordinal) == true ? (ready, firstJobMs, outcome.Phases, answer) : throw new InvalidOperationException($"restored worker answered '{answer}'");
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
}
