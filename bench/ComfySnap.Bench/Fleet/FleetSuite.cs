using System.Diagnostics;
using System.Globalization;
using ComfySnap.Diffusion.Models.StableDiffusion.Generation;
using ComfySnap.SnapshotBuilder;
using ComfySnap.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;
using Spectre.Console;

namespace ComfySnap.Bench.Fleet;

/// <summary>
/// Counts of the fleet suite; the defaults are issue 20's full run (for a quiet machine). <c>SwitchMinBytes</c>: the
/// routed side's Snapshot:SwitchMinBytes override (unset: the workers' cost model decides; 0: every set switches).
/// </summary>
public sealed record FleetOptions(int Jobs = 600, int Workers = 3, bool FullModel = true, int SmallModels = 4, double ZipfS = 1.1, int Seed = 20, int Size = 64, int Steps = 1, int? Concurrency = null, int? BudgetMiB = null, long? SwitchMinBytes = null)
{
    public const int FullJobs = 600;
    public const int FullWorkers = 3;

    public int EffectiveConcurrency => Concurrency ?? (2 * Workers);

    /// <summary>Anything below the counts is a reduced run, and the JSON says so.</summary>
    public bool Reduced => Jobs < FullJobs || Workers < FullWorkers || !FullModel || SmallModels < 4;
}

/// <summary>
/// `fleet`: a mixed-model batch through a fleet of `serve` workers, model-aware routing on vs off in one
/// run (issue 20). Models: <c>SmallModels</c> random `small` checkpoints (60 MB each, distinct seeds) plus,
/// with <c>FullModel</c>, one with SD 1.5's sizes (the least popular). One model-set snapshot per model
/// (SnapshotBuilder's --model-set layout: sets/NAME). Both sides start the same: worker i restored from
/// set i's snapshot, the same Models:MemoryBudget (default: the largest model, so a worker holds one model
/// of that size), the same seeded Zipf job sequence sent closed-loop. Off: Routing:Enabled=false, a single
/// queue, a worker loads what its job needs. On: routing, balance, and switch by restore to any set's snapshot.
/// </summary>
public sealed class FleetSuite(BenchContext context, FleetOptions options)
{
    public async Task<Dictionary<string, object?>> RunAsync(CancellationToken ct)
    {
        var loadAtStart = PageCacheState.LoadAverage();
        var benchModels = new BenchModels(Path.Combine(context.WorkDirectory, "models"));
        var models = Models(benchModels);
        var budget = (options.BudgetMiB is { } mib ? mib * 1048576L : models.Max(m => m.Bytes)).ToString(CultureInfo.InvariantCulture);
        var work = Path.Combine(context.WorkDirectory, "fleet");
        var sets = Path.Combine(work, "sets");
        var buildWatch = Stopwatch.StartNew();
        await BuildSnapshotsAsync(benchModels, models, sets, budget, ct);
        var snapshotBuildS = buildWatch.Elapsed.TotalSeconds;

        var plan = FleetPlan.Create(context.RepoRoot, models, options.Jobs, options.ZipfS, options.Seed, options.Size, options.Steps);
        var run = new FleetRun(context, plan, options.Workers, options.EffectiveConcurrency);
        var common = new Dictionary<string, string?>
        {
            ["Models:BaseDirectory"] = benchModels.Directory,
            ["Models:MemoryBudget"] = budget,
            ["Snapshot:ModelSetDirectory"] = sets,
            ["Snapshot:WorkerDirectory"] = Path.GetDirectoryName(context.WorkerDll),
            ["Snapshot:HandshakeTimeout"] = "00:01:30",
            ["Criu:Path"] = TestEnvironment.Criu,
            // The switch's own measure ("Switched to model set ... by restore: consuming its queue N ms after").
            ["Serilog:MinimumLevel:Override:ComfySnap.Worker.Fleet"] = "Information",
        };
        IReadOnlyDictionary<string, string?> PerWorker(int index) => new Dictionary<string, string?>
        {
            ["Snapshot:Directory"] = Path.Combine(sets, models[index % models.Count].SetName),
            ["Snapshot:WorkDirectory"] = Path.Combine(work, "serve-work-" + Guid.NewGuid().ToString("N")[..6]),
        };

        // Off first: nothing it does (loads) can help the routed side, whose copies restore from the same snapshots.
        var off = await run.RunAsync("off", routing: false, new Dictionary<string, string?>(common) { ["Routing:Enabled"] = "false" }, PerWorker, ct);
        var onSettings = new Dictionary<string, string?>(common) { ["Routing:Enabled"] = "true" };
        if (options.SwitchMinBytes is { } minBytes)
        {
            onSettings["Snapshot:SwitchMinBytes"] = minBytes.ToString(CultureInfo.InvariantCulture);
        }

        foreach (var m in models)
        {
            onSettings[$"Snapshot:ModelSets:{m.SetName}:0"] = m.Set.Models[0];
        }

        var on = await run.RunAsync("on", routing: true, onSettings, PerWorker, ct);
        var latencyOn = Stats.Of([.. on.LatenciesMs]);
        var latencyOff = Stats.Of([.. off.LatenciesMs]);
        return new Dictionary<string, object?>
        {
            ["reduced"] = options.Reduced,
            ["jobs"] = options.Jobs,
            ["workers"] = options.Workers,
            ["full_model"] = options.FullModel,
            ["concurrency"] = options.EffectiveConcurrency,
            ["size"] = options.Size,
            ["steps"] = options.Steps,
            ["zipf_s"] = options.ZipfS,
            ["seed"] = options.Seed,
            ["switch_min_bytes"] = options.SwitchMinBytes,
            ["memory_budget_bytes"] = long.Parse(budget, CultureInfo.InvariantCulture),
            ["models"] = models.Select(m => new { set = m.SetName, checkpoint = m.Checkpoint, bytes = m.Bytes, key = m.Set.Key }).ToList(),
            ["jobs_per_model"] = plan.JobsPerModel(),
            ["model_loads_on"] = on.ModelLoadMs.Count,
            ["model_loads_off"] = off.ModelLoadMs.Count,
            ["switches_by_restore_on"] = on.SwitchByRestoreMs.Count,
            ["jobs_per_s_on"] = on.JobsPerS,
            ["jobs_per_s_off"] = off.JobsPerS,
            ["switch_by_restore_ms"] = Median(on.SwitchByRestoreMs),
            // Where a switch's time goes: each milestone's median time since the replaced worker needed the set.
            ["switch_by_restore_phases_ms"] = on.SwitchPhasesMs.SelectMany(p => p).GroupBy(p => p.Key, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => Median([.. g.Select(p => p.Value)]), StringComparer.Ordinal),
            ["switch_by_load_ms"] = Median(off.ModelLoadMs),
            ["switch_by_load_ms_on"] = Median(on.ModelLoadMs),
            ["latency_ms_p50_on"] = latencyOn.Median,
            ["latency_ms_p99_on"] = latencyOn.P99,
            ["latency_ms_p50_off"] = latencyOff.Median,
            ["latency_ms_p99_off"] = latencyOff.P99,
            ["latency_ms_on"] = latencyOn,
            ["latency_ms_off"] = latencyOff,
            ["switch_by_restore_samples_ms"] = on.SwitchByRestoreMs,
            ["model_load_samples_ms_off"] = off.ModelLoadMs,
            ["model_load_samples_ms_on"] = on.ModelLoadMs,
            ["routes_on"] = on.Routes,
            ["warmth_on"] = on.Warmth,
            ["warmth_off"] = off.Warmth,
            ["switch_fallbacks_on"] = on.SwitchFallbacks,
            ["answered_on"] = on.Answered,
            ["answered_off"] = off.Answered,
            ["failed_on"] = on.Failed,
            ["failed_off"] = off.Failed,
            ["lost_on"] = on.Lost,
            ["lost_off"] = off.Lost,
            ["duplicates_on"] = on.Duplicates,
            ["duplicates_off"] = off.Duplicates,
            ["wall_s_on"] = on.WallS,
            ["wall_s_off"] = off.WallS,
            ["snapshot_build_s"] = snapshotBuildS,
            ["load_avg_start"] = loadAtStart,
            ["load_avg_off"] = new[] { off.LoadAverageBefore, off.LoadAverageAfter },
            ["load_avg_on"] = new[] { on.LoadAverageBefore, on.LoadAverageAfter },
        };
    }

    private List<FleetModel> Models(BenchModels benchModels)
    {
        // Seed 0 is the other suites' small checkpoint; the rest are distinct files of the same size.
        var names = Enumerable.Range(0, options.SmallModels).Select(i => ($"small{i}", benchModels.Checkpoint(CheckpointPreset.Small, "fp32", seed: i))).ToList();
        if (options.FullModel)
        {
            names.Add(("sd15", benchModels.Checkpoint(CheckpointPreset.Sd15Full)));
        }

        return [.. names.Select(n => new FleetModel(n.Item1, n.Item2, new FileInfo(benchModels.PathOf(n.Item2)).Length))];
    }

    // SnapshotBuilder --model-set's layout: one prepared worker per set in sets/NAME, the budget baked in as the workers run with it.
    private async Task BuildSnapshotsAsync(BenchModels benchModels, IReadOnlyList<FleetModel> models, string sets, string budget, CancellationToken ct)
    {
        var builder = new SnapshotBuilderService(context.Criu, NullLogger<SnapshotBuilderService>.Instance);
        foreach (var m in models)
        {
            var watch = Stopwatch.StartNew();
            var request = new BuildRequest(Path.Combine(sets, m.SetName), context.WorkerDll, context.Dotnet, benchModels.Directory, context.NodePackDirectory,
                m.Set.Models, [], TimeSpan.FromMinutes(20), WorkerSettings: new Dictionary<string, string> { ["Models:MemoryBudget"] = budget });
            var manifest = await builder.BuildAsync(request, ct);
            AnsiConsole.MarkupLineInterpolated($"  snapshot {m.SetName} ({m.Checkpoint}): {manifest.ImageBytes / 1048576.0:0.0} MiB in {watch.Elapsed.TotalSeconds:0.0} s");
        }
    }

    private static double? Median(IReadOnlyList<double> values) => values.Count == 0 ? null : Stats.Of([.. values]).Median;
}
