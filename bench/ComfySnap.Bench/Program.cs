using System.CommandLine;
using ComfySnap.Bench.Charts;
using ComfySnap.Bench.Fleet;
using System.Text.Json;
using ComfySnap.Bench;
using ComfySnap.Diffusion.Models.StableDiffusion.Generation;
using Spectre.Console;

// `./comfysnap bench [suite]`: whole-process and engine benchmarks; prints a table and writes
// bench/results/SUITE.json. Ratios are always measured side by side in the same run.
var suite = new Argument<string>("suite") { Description = "engine | micro | overhead | telemetry | cache | gateway | delivery | batch | fleet | boot | diffusion | all", DefaultValueFactory = _ => "all" };
var runs = new Option<int?>("--runs") { Description = "Measured runs per mode (engine, boot: default 5; diffusion: 3)" };
var modelMiB = new Option<int>("--model-mib") { Description = "Preloaded model size for the boot suite's blob profile", DefaultValueFactory = _ => 1024 };
var samples = new Option<int>("--samples") { Description = "Measured jobs for the overhead, telemetry, cache and gateway suites (delivery: per mode)", DefaultValueFactory = _ => 200 };
var jobs = new Option<int?>("--jobs") { Description = "Jobs in the batch suite (default 10,000) and in each side of the fleet suite (600)" };
var workers = new Option<int>("--workers") { Description = "Workers in the fleet suite", DefaultValueFactory = _ => FleetOptions.FullWorkers };
var fullModel = new Option<string>("--full-model") { Description = "Fleet suite: on (one SD 1.5-size checkpoint beside the small ones) or off", DefaultValueFactory = _ => "on" };
var switchMinBytes = new Option<long?>("--switch-min-bytes") { Description = "Fleet suite: the routed side's Snapshot:SwitchMinBytes override (default unset: the workers' cost model decides; 0: every set switches by restore)" };
var concurrency = new Option<int?>("--concurrency") { Description = "Fleet suite: jobs sent and not yet answered at any time (default 2 x --workers)" };
var profile = new Option<string>("--profile") { Description = "Boot profile: blob (padded small SD checkpoint, blur job), sd (SD checkpoint of --preset, default graph) or sdxl (SDXL checkpoint of --preset, default sdxl-full, the SDXL base graph)", DefaultValueFactory = _ => BootSuite.BlobProfile };
var preset = new Option<string?>("--preset") { Description = "Checkpoint preset for boot --profile sd/sdxl and diffusion: tiny, small, sd15-full (the default), sdxl-tiny, sdxl-small, sdxl-full (the sdxl profile's default)" };
var size = new Option<int>("--size") { Description = "Image side of the diffusion suite's UNet step and VAE decode", DefaultValueFactory = _ => 512 };
var threads = new Option<int>("--threads") { Description = "Torch threads for the diffusion suite, both sides (0: torch's default)", DefaultValueFactory = _ => 0 };
var renders = new Option<int>("--renders") { Description = "Consecutive renders in the diffusion suite's RSS part", DefaultValueFactory = _ => 50 };
var bootModes = new Option<string?>("--modes") { Description = $"Boot modes, interleaved in each run: {string.Join(',', BootSuite.AllModes)} (blob: all; sd, sdxl: {string.Join(',', BootSuite.SdModes)})" };
var otherCriu = new Option<string?>("--other-criu") { Description = "Boot suite: a second criu binary for the other_criu mode (serve's default restore of the same snapshot with it, e.g. a stock criu beside the bootstrap's huge-page one)" };
var pageCache = new Option<string>("--page-cache") { Description = "Boot suite: page-cache states each run is measured in: warm, dropped (needs root; slows the whole host) or both", DefaultValueFactory = _ => "warm,dropped" };
var root = new RootCommand("ComfySnap benchmarks") { suite, runs, modelMiB, samples, jobs, profile, preset, size, threads, renders, bootModes, otherCriu, pageCache, workers, fullModel, concurrency, switchMinBytes };
root.SetAction(async (parse, ct) =>
{
    var context = BenchContext.FromEnvironment();
    var machine = await MachineInfo.ReadAsync(context.Criu, ct);
    var results = Path.Combine(context.RepoRoot, "bench", "results");
    var name = parse.GetValue(suite)!;
    // What reproduces a suite's numbers: its name plus the options given (defaults otherwise).
    var options = args.Where(a => a != name).ToList();
    // boot-sd, diffusion and fleet take minutes of full-size Stable Diffusion: not part of `all`.
    var selected = name == "all" ? ["engine", "micro", "overhead", "telemetry", "cache", "gateway", "delivery", "batch", "boot"] : new[] { name };
    var bootProfile = parse.GetValue(profile)!;
    foreach (var s in selected)
    {
        AnsiConsole.MarkupLine($"[bold]suite {s}[/]");
        Dictionary<string, object?> values = s switch
        {
            "boot" => await new BootSuite(context, parse.GetValue(runs) ?? (bootProfile == BootSuite.BlobProfile ? 5 : 3), parse.GetValue(modelMiB), bootProfile, BootSuite.PresetFor(bootProfile, parse.GetValue(preset)),
                parse.GetValue(bootModes)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                ?? (bootProfile == BootSuite.BlobProfile ? BootSuite.AllModes : BootSuite.SdModes),
                parse.GetValue(pageCache)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)) { OtherCriu = parse.GetValue(otherCriu) }.RunAsync(ct),
            "engine" => await new EngineSuite(context, parse.GetValue(runs) ?? 5).RunAsync(ct),
            "micro" => await new MicroSuite(context).RunAsync(ct),
            "overhead" => await new OverheadSuite(context, parse.GetValue(samples)).RunAsync(ct),
            "telemetry" => await new TelemetrySuite(context, parse.GetValue(samples)).RunAsync(ct),
            "cache" => await new CacheSuite(context, parse.GetValue(samples)).RunAsync(ct),
            "gateway" => await new GatewaySuite(context, parse.GetValue(samples)).RunAsync(ct),
            "delivery" => await new DeliverySuite(context, parse.GetValue(samples)).RunAsync(ct),
            "batch" => await new BatchSuite(context, parse.GetValue(jobs) ?? 10_000).RunAsync(ct),
            "fleet" => await new FleetSuite(context, new FleetOptions(parse.GetValue(jobs) ?? FleetOptions.FullJobs, parse.GetValue(workers), FullModel(parse.GetValue(fullModel)!),
                Concurrency: parse.GetValue(concurrency), SwitchMinBytes: parse.GetValue(switchMinBytes))).RunAsync(ct),
            "diffusion" => await new DiffusionSuite(context, parse.GetValue(runs) ?? 3, CheckpointPreset.AnyNamed(parse.GetValue(preset) ?? CheckpointPreset.Sd15Full.Name),
                parse.GetValue(size), parse.GetValue(threads), parse.GetValue(renders)).RunAsync(ct),
            _ => throw new ArgumentException($"unknown suite '{s}' (engine, micro, overhead, telemetry, cache, gateway, delivery, batch, fleet, boot, diffusion, all)"),
        };
        var table = new Table().AddColumns("key", "value");
        foreach (var (key, value) in values)
        {
            // Per-run records and raw samples go to the JSON (and the charts), not the summary table.
            if (value is System.Collections.ICollection { Count: > 16 } || key == "runs")
            {
                continue;
            }

            table.AddRow(key, Markup.Escape(Display(value)));
        }

        AnsiConsole.Write(table);
        // A boot profile other than the default writes boot-PROFILE.json, a diffusion preset other than SD 1.5's diffusion-PRESET.json.
        var diffusionPreset = parse.GetValue(preset) ?? CheckpointPreset.Sd15Full.Name;
        var file = s switch
        {
            "boot" when bootProfile != BootSuite.BlobProfile => $"boot-{bootProfile}",
            "diffusion" when diffusionPreset != CheckpointPreset.Sd15Full.Name => $"diffusion-{diffusionPreset}",
            _ => s,
        };
        AnsiConsole.MarkupLineInterpolated($"written: {await ResultWriter.WriteAsync(results, s, options, values, machine, ct, file)}");
    }

    BenchCharts.DrawAll(results, line => AnsiConsole.MarkupLineInterpolated($"chart {line}"));

    return 0;
});

// The diffusion suite's child processes (not for direct use).
var childModels = new Argument<string>("models");
var childWork = new Argument<string>("work");
var childCheckpoint = new Argument<string>("checkpoint");
var childSize = new Argument<int>("size");
var childRuns = new Argument<int>("runs");
var childThreads = new Argument<int>("threads");
var unetChild = new Command(DiffusionChild.UnetCommand) { Hidden = true };
foreach (var argument in new Argument[] { childModels, childWork, childCheckpoint, childSize, childRuns, childThreads })
{
    unetChild.Arguments.Add(argument);
}

unetChild.SetAction((parse, ct) => DiffusionChild.UnetAsync(parse.GetValue(childModels)!, parse.GetValue(childWork)!, parse.GetValue(childCheckpoint)!,
    parse.GetValue(childSize), parse.GetValue(childRuns), parse.GetValue(childThreads), ct));
var rssWorkflow = new Argument<string>("workflow");
var rssRenders = new Argument<int>("renders");
var rssChild = new Command(DiffusionChild.RssCommand) { Hidden = true };
foreach (var argument in new Argument[] { childModels, childWork, rssWorkflow, rssRenders })
{
    rssChild.Arguments.Add(argument);
}

rssChild.SetAction((parse, ct) => DiffusionChild.RssAsync(parse.GetValue(childModels)!, parse.GetValue(childWork)!, parse.GetValue(rssWorkflow)!, parse.GetValue(rssRenders), ct));
// `bench charts`: re-draws the PNGs from the JSON already in bench/results, running nothing.
var charts = new Command("charts", "Re-draw bench/results/*.png from the suites' JSON without running anything");
charts.SetAction(_ =>
{
    var repo = Environment.GetEnvironmentVariable("COMFYSNAP_REPO") ?? Directory.GetCurrentDirectory();
    BenchCharts.DrawAll(Path.Combine(repo, "bench", "results"), line => AnsiConsole.MarkupLineInterpolated($"chart {line}"));
    return 0;
});
root.Subcommands.Add(charts);
root.Subcommands.Add(unetChild);
root.Subcommands.Add(rssChild);
return await root.Parse(args).InvokeAsync();

static bool FullModel(string value) => value switch
{
    "on" => true,
    "off" => false,
    _ => throw new ArgumentException($"--full-model '{value}': on or off"),
};

// A series as "median (p90, p99, min-max, runs)"; anything else as JSON.
static string Display(object? value) => value switch
{
    Stats s => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"{s.Median:0.###} (p90 {s.P90:0.###}, p99 {s.P99:0.###}, min {s.Min:0.###}, max {s.Max:0.###}, {s.Runs} runs)"),
    double d => d.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture),
    string text => text,
    _ => JsonSerializer.Serialize(value),
};
