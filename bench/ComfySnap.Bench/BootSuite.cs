using System.Diagnostics;
using System.Text.Json;
using ComfySnap.SnapshotBuilder;
using ComfySnap.Snapshots;
using ComfySnap.Worker.Boot;
using ComfySnap.Diffusion.Models;
using ComfySnap.Diffusion.Models.StableDiffusion;
using ComfySnap.Diffusion.Models.StableDiffusion.Generation;
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
/// only the staleness check and the handshake are timed); restore_no_prefetch (the snapshot's
/// model files not read into the page cache beside criu); after_ready and standby_after_ready
/// (Snapshot:PageInWeights=AfterReady: BOOTED does not wait for the weights; after_ready_no_prefetch
/// without the prefetch). Measures time to
/// ready (BOOTED), to the first completed job and (blob) to a job that uses the weights, then runs
/// the first job again on the same worker (the steady job: the node cache is off in every profile,
/// so it renders all over) and reports the first job against it (first_to_steady); records the
/// page-cache state and load average before every run, and checks that every first and steady job
/// answered the same image. The sd and sdxl snapshots (and cold workers) warm up at the job's size
/// (Models:WarmupSizes), so a restored worker's first job should run at the steady speed. Profiles: "blob" preloads a small SD checkpoint padded with unused tensors to
/// <paramref name="modelMiB"/> MiB and blurs a 256x256 image; "sd" preloads a checkpoint of
/// <paramref name="preset"/> (SD 1.5's sizes by default) and renders ComfyUI's default graph at
/// 256x256 with one step; "sdxl" preloads an SDXL checkpoint (full-size SDXL base by default) and
/// renders the shipped SDXL base graph at 512x512 with one step.
/// </summary>
public sealed class BootSuite(BenchContext context, int runs, int modelMiB, string profile, IRandomCheckpointPreset preset, IReadOnlyList<string> modes, IReadOnlyList<string> pageCaches)
{
    /// <summary>The page-cache states each run is measured in (--page-cache): dropping it needs root and slows everything else on the host.</summary>
    public static readonly string[] AllPageCaches = ["warm", "dropped"];

    public const string BlobProfile = "blob";
    public const string SdProfile = "sd";
    public const string SdxlProfile = "sdxl";

    /// <summary>Modes that restore serve's default mode from a snapshot built with one setting changed.</summary>
    public static readonly Dictionary<string, KeyValuePair<string, string>> SnapshotVariants = new()
    {
        ["no_trim"] = new("Snapshot:TrimNativeHeap", "false"),
        ["small_pages"] = new("Snapshot:HugePages", "false"),
        // The warm-up a worker gets without Models:WarmupSizes: what the first job at the
        // profile's size pays when the snapshot never rendered it (first_to_steady against after_ready_no_prefetch).
        ["warmup_64"] = new("Models:WarmupSizes:0", WarmupSize.Minimal.ToString()),
    };

    public static readonly string[] AllModes = ["cold", "restore", "restore_no_kdat", "restore_no_prefetch", "lazy", "after_ready", "after_ready_no_prefetch", "no_trim", "small_pages", "warmup_64", "standby", "standby_after_ready"];

    /// <summary>The mode that restores serve's default from the default snapshot with <see cref="OtherCriu"/> (not in <see cref="AllModes"/>).</summary>
    public const string OtherCriuMode = "other_criu";

    /// <summary>A second criu binary (--other-criu), e.g. a stock one beside the bootstrap's huge-page build, for <see cref="OtherCriuMode"/>.</summary>
    public string? OtherCriu { get; init; }

    /// <summary>The sd profile's first job is a ~10 s render: fewer modes (the kerndat cache is criu's cost, measured by blob) keep it near 6 minutes.</summary>
    public static readonly string[] SdModes = ["cold", "restore", "lazy", "after_ready_no_prefetch", "standby"];

    private const string BlurJob = """
        {"1":{"class_type":"EmptyImage","inputs":{"width":256,"height":256,"batch_size":1,"color":255}},
         "2":{"class_type":"ImageBlur","inputs":{"image":["1",0],"blur_radius":3,"sigma":1.5}},
         "3":{"class_type":"PreviewImage","inputs":{"images":["2",0]}}}
        """;

    /// <summary>The image side of the sd profile's job (ComfyUI's default graph, one step).</summary>
    public const int SdJobSize = 256;

    /// <summary>The image side of the sdxl profile's job (the SDXL base graph, one step).</summary>
    public const int SdxlJobSize = 512;

    /// <summary>
    /// The build-time settings of a profile's workers (snapshot and cold alike): the node cache off,
    /// so that the steady job renders everything again; for sd and sdxl, the warm-up at the job's
    /// size, as a deployment that knows its sizes configures it.
    /// </summary>
    public static IReadOnlyDictionary<string, string> WorkerSettingsFor(string profile)
    {
        var settings = new Dictionary<string, string> { ["Engine:NodeCacheBytes"] = "0" };
        if (profile is SdProfile or SdxlProfile)
        {
            settings["Models:WarmupSizes:0"] = (profile == SdProfile ? SdJobSize : SdxlJobSize).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return settings;
    }

    /// <summary>The checkpoint preset a profile preloads: the one named, else SD 1.5's (sd, blob) or SDXL base's (sdxl) sizes.</summary>
    public static IRandomCheckpointPreset PresetFor(string profile, string? name) =>
        CheckpointPreset.AnyNamed(name ?? (profile == SdxlProfile ? SdxlCheckpointPreset.Full.Name : CheckpointPreset.Sd15Full.Name));

    /// <summary>ComfyUI's default graph with the bench checkpoint, <paramref name="size"/> square and <paramref name="steps"/> steps.</summary>
    public static string DefaultWorkflowJob(string repoRoot, string checkpointName, int size, int steps) =>
        WorkflowJob(Path.Combine(repoRoot, "workflows", "default-txt2img.json"), checkpointName, size, steps);

    /// <summary>
    /// A shipped graph with the bench checkpoint in every CheckpointLoaderSimple, every
    /// EmptyLatentImage at <paramref name="size"/> square and every KSampler at <paramref name="steps"/> steps.
    /// </summary>
    public static string WorkflowJob(string workflowFile, string checkpointName, int size, int steps)
    {
        var graph = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(workflowFile))!.AsObject();
        foreach (var (_, node) in graph)
        {
            var inputs = node!["inputs"]!;
            switch (node["class_type"]!.GetValue<string>())
            {
                case "CheckpointLoaderSimple":
                    inputs["ckpt_name"] = checkpointName;
                    break;
                case "EmptyLatentImage":
                    inputs["width"] = size;
                    inputs["height"] = size;
                    break;
                case "KSampler":
                    inputs["steps"] = steps;
                    break;
            }
        }

        return graph.ToJsonString();
    }

    public async Task<Dictionary<string, object?>> RunAsync(CancellationToken ct)
    {
        var models = new BenchModels(Path.Combine(context.WorkDirectory, "models"));
        var checkpoint = profile switch
        {
            BlobProfile => models.PaddedCheckpoint(modelMiB),
            SdProfile or SdxlProfile => models.Checkpoint(preset),
            _ => throw new ArgumentException($"unknown boot profile '{profile}' ({BlobProfile}, {SdProfile}, {SdxlProfile})"),
        };
        var work = Path.Combine(context.WorkDirectory, profile == BlobProfile ? "boot" : "boot-" + profile);
        var firstJob = profile switch
        {
            BlobProfile => BlurJob,
            SdxlProfile => WorkflowJob(Path.Combine(context.RepoRoot, "workflows", "sdxl", "sdxl-base.json"), checkpoint, SdxlJobSize, 1),
            _ => DefaultWorkflowJob(context.RepoRoot, checkpoint, SdJobSize, 1),
        };
        // The blob profile's first job touches no weights: a second job renders with the checkpoint,
        // so what a job that needs the weights waits for (AfterReady) is measured too.
        var weightsJob = profile == BlobProfile ? DefaultWorkflowJob(context.RepoRoot, checkpoint, 64, 1) : null;
        var model = models.PathOf(checkpoint);
        var request = new BuildRequest(Path.Combine(work, "snapshot"), context.WorkerDll, context.Dotnet, models.Directory, context.NodePackDirectory,
            [$"{BenchModels.Kind}/{checkpoint}"], [], TimeSpan.FromMinutes(20), WorkerSettings: WorkerSettingsFor(profile));
        AnsiConsole.MarkupLineInterpolated($"  profile {profile}: {checkpoint} ({new FileInfo(model).Length / 1048576.0:F0} MiB), building the snapshot ...");
        var builder = new SnapshotBuilderService(context.Criu, NullLogger<SnapshotBuilderService>.Instance);
        var manifest = await builder.BuildAsync(request, ct);
        // Snapshot build levers, each judged by serve's default mode restored from a snapshot built
        // with that one setting changed, side by side with the default snapshot.
        var variantImageBytes = new Dictionary<string, long>();
        foreach (var (mode, setting) in SnapshotVariants.Where(v => modes.Contains(v.Key)))
        {
            var built = await builder.BuildAsync(request with
            {
                OutputDirectory = Path.Combine(work, "snapshot-" + mode),
                WorkerSettings = new Dictionary<string, string>(WorkerSettingsFor(profile)) { [setting.Key] = setting.Value },
            }, ct);
            variantImageBytes[mode] = built.ImageBytes;
        }

        var unknown = modes.Except(OtherCriu is null ? AllModes : [.. AllModes, OtherCriuMode]).ToList();
        if (unknown.Count > 0 || modes.Count == 0)
        {
            throw new ArgumentException($"unknown boot mode(s) '{string.Join(',', unknown)}' ({string.Join(',', AllModes)})");
        }

        if (pageCaches.Except(AllPageCaches).Any() || pageCaches.Count == 0)
        {
            throw new ArgumentException($"unknown page-cache state(s) '{string.Join(',', pageCaches)}' ({string.Join(',', AllPageCaches)})");
        }

        SnapshotRestorer Restorer(CriuRunner criu, bool lazyPages, bool prefetch = true, WeightsPageIn pageIn = WeightsPageIn.BeforeReady, string? directory = null) =>
            new(criu, Options.Create(Settings(lazyPages, prefetch, pageIn, directory ?? request.OutputDirectory)), Options.Create(new ModelStoreOptions()), NullLogger<SnapshotRestorer>.Instance);
        SnapshotOptions Settings(bool lazyPages, bool prefetch, WeightsPageIn pageIn, string directory) => new()
        {
            Directory = directory,
            WorkDirectory = Path.Combine(work, "restore-work"),
            WorkerDirectory = Path.GetDirectoryName(context.WorkerDll)!,
            HandshakeTimeout = TimeSpan.FromMinutes(5), // a restored SD 1.5 worker pages in 4.3 GB of weights first
            LazyPages = lazyPages,
            Prefetch = prefetch,
            PageInWeights = pageIn,
            Standby = 1,
        };
        var restorer = Restorer(context.Criu, lazyPages: false);
        var noKerndat = new CriuRunner(Options.Create(new CriuOptions { Timeout = TimeSpan.FromMinutes(5), KerndatCacheFile = null }), NullLogger<CriuRunner>.Instance);
        var restorers = new Dictionary<string, SnapshotRestorer>
        {
            ["restore"] = restorer,
            ["restore_no_kdat"] = Restorer(noKerndat, lazyPages: false),
            ["restore_no_prefetch"] = Restorer(context.Criu, lazyPages: false, prefetch: false),
            ["lazy"] = Restorer(context.Criu, lazyPages: true),
            ["after_ready"] = Restorer(context.Criu, lazyPages: false, pageIn: WeightsPageIn.AfterReady),
            ["after_ready_no_prefetch"] = Restorer(context.Criu, lazyPages: false, prefetch: false, pageIn: WeightsPageIn.AfterReady),
        };
        foreach (var mode in SnapshotVariants.Keys)
        {
            restorers[mode] = Restorer(context.Criu, lazyPages: false, prefetch: false, pageIn: WeightsPageIn.AfterReady, Path.Combine(work, "snapshot-" + mode));
        }

        if (OtherCriu is not null)
        {
            var other = new CriuRunner(Options.Create(new CriuOptions { Path = OtherCriu, Timeout = TimeSpan.FromMinutes(5) }), NullLogger<CriuRunner>.Instance);
            restorers[OtherCriuMode] = Restorer(other, lazyPages: false, prefetch: false, pageIn: WeightsPageIn.AfterReady);
        }

        restorers["standby"] = restorer;
        restorers["standby_after_ready"] = restorers["after_ready"];
        static bool IsStandby(string mode) => mode.StartsWith("standby", StringComparison.Ordinal);
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

        var samples = new List<(string Mode, string Cache, double Ready, double FirstJob, double WeightsJob, JobDurations Jobs, IReadOnlyList<BootPhase> Phases)>();
        var answers = new List<(string Mode, string Answer)>();
        var weightsAnswers = new List<(string Mode, string Answer)>();
        var perRun = new List<Dictionary<string, object?>>();
        string? previous = null; // the mode run just before, recorded with each run
        foreach (var cache in AllPageCaches.Where(pageCaches.Contains))
        {
            for (var i = 0; i < runs; i++)
            {
                // Each run starts one mode later, so every mode takes every slot equally often: the slot
                // right after a cold boot restored measurably slower on the AMD EPYC hosts (docs/snapshots.md).
                foreach (var mode in modes.Skip(i % modes.Count).Concat(modes.Take(i % modes.Count)))
                {
                    ParkedRestore? parked = null;
                    if (IsStandby(mode))
                    {
                        // The copy is parked before the run (not timed), as `serve` keeps it.
                        (parked, var failure) = await restorers[mode].ParkAsync(ct);
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
                        "cold" => await ColdAsync(request, firstJob, weightsJob, ct),
                        _ when IsStandby(mode) => await StandbyAsync(restorers[mode], parked!, firstJob, weightsJob, ct),
                        _ => await RestoreAsync(restorers[mode], firstJob, weightsJob, ct),
                    };
                    if (mode == "restore_no_kdat")
                    {
                        // criu left its stale temp file again; the next "restore" must find the cache as `serve` keeps it.
                        await context.Criu.EnsureKerndatCacheAsync(ct);
                    }

                    samples.Add((mode, cache, sample.Ready, sample.FirstJob, sample.WeightsJob, sample.Jobs, sample.Phases));
                    answers.Add((mode, sample.Answer));
                    answers.Add((mode, sample.SteadyAnswer));
                    if (sample.WeightsAnswer is not null)
                    {
                        weightsAnswers.Add((mode, sample.WeightsAnswer));
                    }

                    var faults = RestoreFaults.Of(sample.Phases);
                    perRun.Add(new()
                    {
                        ["mode"] = mode, ["after"] = previous, ["cache"] = cache, ["run"] = i + 1, ["ready_ms"] = Math.Round(sample.Ready, 1), ["first_job_ms"] = Math.Round(sample.FirstJob, 1),
                        ["weights_job_ms"] = weightsJob is null ? null : Math.Round(sample.WeightsJob, 1), ["page_cache_before"] = state,
                        ["first_job_only_ms"] = Math.Round(sample.Jobs.First, 1), ["second_job_ms"] = Math.Round(sample.Jobs.Steady, 1),
                        ["first_to_steady"] = Math.Round(sample.Jobs.FirstToSteady, 3),
                        ["first_job_minor_faults"] = sample.Jobs.FirstFaults?.Minor, ["first_job_major_faults"] = sample.Jobs.FirstFaults?.Major,
                        ["second_job_minor_faults"] = sample.Jobs.SteadyFaults?.Minor, ["second_job_major_faults"] = sample.Jobs.SteadyFaults?.Major,
                        ["restore_ms"] = RestoreFaults.RestorePhase(sample.Phases)?.Milliseconds is { } r ? Math.Round(r, 1) : null,
                        ["restore_minor_faults"] = faults?.Minor, ["restore_major_faults"] = faults?.Major,
                    });
                    var weights = weightsJob is null ? "" : $", weights job {sample.WeightsJob,5:0} ms";
                    weights += faults is { } f ? $", restore {perRun[^1]["restore_ms"]:0} ms ({f.Minor} minor faults)" : "";
                    weights += $", first job alone {sample.Jobs.First:0} ms vs steady {sample.Jobs.Steady:0} ms ({sample.Jobs.FirstToSteady:0.00}x; minor faults {sample.Jobs.FirstFaults?.Minor} vs {sample.Jobs.SteadyFaults?.Minor})";
                    AnsiConsole.MarkupLineInterpolated($"  {cache,-7} {mode,-19} run {i + 1}: ready {sample.Ready,5:0} ms, first job {sample.FirstJob,5:0} ms{weights}  (resident MiB: model {state["model_mib"]:0}, images {state["images_mib"]:0}, libtorch {state["libtorch_mib"]:0}; load {state["load_avg"]:0.00})");
                    previous = mode;
                }
            }
        }

        var result = new Dictionary<string, object?> { ["image_bytes"] = manifest.ImageBytes, ["model_bytes"] = new FileInfo(model).Length, ["runs_per_mode"] = runs };
        result["thp"] = RestoreFaults.TransparentHugePages();
        // Which criu restored: the bootstrap's build carries a stamp beside it when it has the huge-page patch.
        var criuPath = new CriuOptions().Path;
        result["criu"] = new Dictionary<string, object?> { ["path"] = criuPath, ["huge_page_patch"] = File.Exists(criuPath + ".restore-hugepages"), ["other_criu"] = OtherCriu };
        foreach (var (mode, bytes) in variantImageBytes)
        {
            result[$"{mode}_image_bytes"] = bytes;
        }

        result["profile"] = profile;
        result["model"] = checkpoint;
        result["modes"] = modes;
        // Every first job and every steady job, cold or restored, must have answered the same image.
        var distinct = answers.Select(a => a.Answer).Distinct(StringComparer.Ordinal).ToList();
        result["first_job_identical"] = distinct.Count == 1;
        result["first_job_sha256"] = answers.GroupBy(a => a.Mode).ToDictionary(g => g.Key, g => g.Select(a => a.Answer["RESULT ".Length..]).Distinct(StringComparer.Ordinal).ToList());
        if (distinct.Count != 1)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]first jobs answered {distinct.Count} different images: {string.Join(" | ", distinct)}[/]");
        }

        if (weightsJob is not null)
        {
            var distinctWeights = weightsAnswers.Select(a => a.Answer).Distinct(StringComparer.Ordinal).ToList();
            result["weights_job_identical"] = distinctWeights.Count == 1;
            if (distinctWeights.Count != 1)
            {
                AnsiConsole.MarkupLineInterpolated($"[red]weights jobs answered {distinctWeights.Count} different images: {string.Join(" | ", distinctWeights)}[/]");
            }
        }

        foreach (var cache in samples.Select(s => s.Cache).Distinct())
        {
            var suffix = cache == "warm" ? "" : "_cache_dropped";
            Stats Of(string mode, Func<(string Mode, string Cache, double Ready, double FirstJob, double WeightsJob, JobDurations Jobs, IReadOnlyList<BootPhase> Phases), double> pick) =>
                Stats.Of([.. samples.Where(s => s.Mode == mode && s.Cache == cache).Select(pick)]);
            foreach (var mode in modes)
            {
                result[$"{mode}_ready_ms{suffix}"] = Of(mode, s => s.Ready);
                result[$"{mode}_first_job_ms{suffix}"] = Of(mode, s => s.FirstJob);
                if (weightsJob is not null)
                {
                    result[$"{mode}_weights_job_ms{suffix}"] = Of(mode, s => s.WeightsJob);
                }

                // The first job alone (from ready), the same job again on that worker, and their
                // ratio per run (the pair shares the host's load): the first-call tax.
                result[$"{mode}_first_job_only_ms{suffix}"] = Of(mode, s => s.Jobs.First);
                result[$"{mode}_second_job_ms{suffix}"] = Of(mode, s => s.Jobs.Steady);
                result[$"{mode}_first_to_steady{suffix}"] = Of(mode, s => s.Jobs.FirstToSteady);
                result[$"{mode}_first_job_minor_faults{suffix}"] = Of(mode, s => s.Jobs.FirstFaults?.Minor ?? double.NaN);
                result[$"{mode}_second_job_minor_faults{suffix}"] = Of(mode, s => s.Jobs.SteadyFaults?.Minor ?? double.NaN);
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

            // Judge what `serve` does by default (AfterReady without the prefetch) where it was measured.
            var afterReady = modes.Contains("after_ready_no_prefetch") ? "after_ready_no_prefetch" : modes.Contains("after_ready") ? "after_ready" : null;
            if (afterReady is not null)
            {
                result["after_ready_mode"] = afterReady;
            }

            if (modes.Contains("restore") && afterReady is not null)
            {
                // The issue's rule for a default: faster on ready and first job, warm and dropped. The
                // weights job is reported beside it: AfterReady moves the page-in onto that job.
                result["after_ready_wins" + suffix] = Of(afterReady, s => s.Ready).Median < Of("restore", s => s.Ready).Median
                    && Of(afterReady, s => s.FirstJob).Median < Of("restore", s => s.FirstJob).Median;
                if (weightsJob is not null)
                {
                    result["after_ready_weights_job_delta_ms" + suffix] = Of(afterReady, s => s.WeightsJob).Median - Of("restore", s => s.WeightsJob).Median;
                }
            }

            foreach (var mode in modes.Where(m => !IsStandby(m) && m != "cold"))
            {
                // criu's own phase and the faults it took: what the snapshot levers change.
                result[$"{mode}_restore_phase_ms{suffix}"] = Stats.Of([.. samples.Where(s => s.Mode == mode && s.Cache == cache)
                    .Select(s => RestoreFaults.RestorePhase(s.Phases)?.Milliseconds ?? double.NaN)]);
                result[$"{mode}_restore_minor_faults{suffix}"] = Stats.Of([.. samples.Where(s => s.Mode == mode && s.Cache == cache)
                    .Select(s => (double)(RestoreFaults.Of(s.Phases)?.Minor ?? 0))]);
            }

            if (modes.Contains("cold") && afterReady is not null)
            {
                result["speedup_ready_after_ready" + suffix] = Of("cold", s => s.Ready).Median / Of(afterReady, s => s.Ready).Median;
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

    private static async Task<Sample> StandbyAsync(SnapshotRestorer restorer, ParkedRestore parked, string firstJob, string? weightsJob, CancellationToken ct)
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
        IReadOnlyList<BootPhase> phases = [new("standby check", check), .. outcome.Phases.Where(p => p.Name is not ("manifest check" or "restore" or "image check"))];
        return await RunJobsAsync("standby", process.HostPid, process.StandardInput, process.StandardOutput, firstJob, weightsJob, watch, ready, phases, ct);
    }

    private static async Task<Sample> ColdAsync(BuildRequest request, string firstJob, string? weightsJob, CancellationToken ct)
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
        var sample = await RunJobsAsync("cold", process.Id, process.StandardInput, process.StandardOutput, firstJob, weightsJob, watch, ready, phases, ct);
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync(ct);
        return sample;
    }

    /// <summary>One timed start: ready, first job and weights job in ms since the start, each job's own time, the answers.</summary>
    private sealed record Sample(double Ready, double FirstJob, double WeightsJob, JobDurations Jobs, IReadOnlyList<BootPhase> Phases, string Answer, string? WeightsAnswer, string SteadyAnswer);

    /// <summary>
    /// Sends the first job, then the weights job (if any), then the first job again (the steady
    /// job, last so that nothing after ready is still running beside it) over the worker's stdin
    /// protocol; each must answer RESULT. The worker's page faults during the first and the steady job
    /// say how much of the first job's extra time is memory first touched.
    /// </summary>
    private static async Task<Sample> RunJobsAsync(
        string mode, int pid, StreamWriter input, StreamReader output, string firstJob, string? weightsJob, Stopwatch watch, double ready, IReadOnlyList<BootPhase> phases, CancellationToken ct)
    {
        var beforeFirst = ProcessFaults.Of(pid);
        var (answer, firstJobMs) = await RunJobAsync(input, output, firstJob, watch, ct);
        var afterFirst = ProcessFaults.Of(pid);
        var (weightsAnswer, weightsJobMs) = weightsJob is null ? ("RESULT ", double.NaN) : await RunJobAsync(input, output, weightsJob, watch, ct);
        var steadyStart = watch.Elapsed.TotalMilliseconds;
        var beforeSteady = ProcessFaults.Of(pid);
        var (steadyAnswer, steadyEnd) = await RunJobAsync(input, output, firstJob, watch, ct);
        var afterSteady = ProcessFaults.Of(pid);
        foreach (var line in new[] { answer, weightsAnswer, steadyAnswer })
        {
            if (line?.StartsWith("RESULT ", StringComparison.Ordinal) != true)
            {
                throw new InvalidOperationException($"{mode} worker answered '{line}'");
            }
        }

        var jobs = new JobDurations(firstJobMs - ready, steadyEnd - steadyStart)
        {
            FirstFaults = afterFirst - beforeFirst,
            SteadyFaults = afterSteady - beforeSteady,
        };
        return new(ready, firstJobMs, weightsJobMs, jobs, phases, answer!, weightsJob is null ? null : weightsAnswer, steadyAnswer!);
    }

    /// <summary>Sends one job over the worker's stdin protocol; its answer line and the time since start.</summary>
    private static async Task<(string? Answer, double Ms)> RunJobAsync(StreamWriter input, StreamReader output, string job, Stopwatch watch, CancellationToken ct)
    {
        await input.WriteLineAsync(JsonSerializer.Serialize(job));
        await input.FlushAsync(ct);
        var answer = await output.ReadLineAsync(ct);
        return (answer, watch.Elapsed.TotalMilliseconds);
    }

    private static async Task<Sample> RestoreAsync(SnapshotRestorer restorer, string firstJob, string? weightsJob, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        var outcome = await restorer.RestoreAsync(new ResumeConfig("bench-restore", new Dictionary<string, string?>()), ct);
        if (!outcome.Restored)
        {
            throw new InvalidOperationException($"restore fell back: {outcome.Fallback}");
        }

        await using var process = outcome.Process!;
        var ready = watch.Elapsed.TotalMilliseconds;
        return await RunJobsAsync("restored", process.HostPid, process.StandardInput, process.StandardOutput, firstJob, weightsJob, watch, ready, outcome.Phases, ct);
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

/// <summary>A worker's first job alone (from ready to its answer) and the same job run again right after it (ms).</summary>
public sealed record JobDurations(double First, double Steady)
{
    /// <summary>The worker's page faults during the first job, if its /proc entry could be read.</summary>
    public ProcessFaults? FirstFaults { get; init; }

    /// <summary>The worker's page faults during the steady job.</summary>
    public ProcessFaults? SteadyFaults { get; init; }

    /// <summary>What the first job paid beyond the steady one, as a ratio (1.0: no first-call tax).</summary>
    public double FirstToSteady => First / Steady;
}
