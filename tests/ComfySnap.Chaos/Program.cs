using System.CommandLine;
using System.Diagnostics;
using ComfySnap.Chaos;
using ComfySnap.TestSupport;
using Spectre.Console;

// `./comfysnap chaos`: three snapshot-restored workers under a seeded schedule of faults while a
// batch of jobs runs; exits non-zero unless nothing was lost, no JobId got two different
// results, and every duplicate send was answered with the first run's result.
var jobs = new Option<int?>("--jobs") { Description = "Jobs in the batch (default 300; 2,000 with --soak)" };
var seed = new Option<int?>("--seed") { Description = "Seed of the job mix and the fault schedule (default: random, printed)" };
var soak = new Option<bool>("--soak") { Description = "The long run: 2,000 jobs over about 7 minutes of faults" };
var output = new Option<string?>("--out") { Description = "Report file (default bench/results/chaos.json; chaos-cluster.json with --cluster)" };
var onCluster = new Option<bool>("--cluster") { Description = "Against a private 3-node RabbitMQ cluster and Redis with Sentinels, adding node faults" };
var rate = new Option<double?>("--rate") { Description = "Jobs sent per second (default 5); lower on a machine too loaded to keep up, or jobs pile up past the answer bound" };
var root = new RootCommand("ComfySnap chaos run") { jobs, seed, soak, output, onCluster, rate };
root.SetAction(async (parse, ct) =>
{
    var isSoak = parse.GetValue(soak);
    var isCluster = parse.GetValue(onCluster);
    var settings = new ChaosSettings(
        parse.GetValue(jobs) ?? (isSoak ? 2000 : 300),
        parse.GetValue(seed) ?? SeedFromEnvironment() ?? Random.Shared.Next(1, 1_000_000),
        isSoak,
        parse.GetValue(output) ?? Path.Combine(TestEnvironment.RepoRoot, "bench", "results", isCluster ? "chaos-cluster.json" : "chaos.json"),
        isCluster,
        parse.GetValue(rate) is > 0 and var r ? r : ChaosSettings.DefaultJobsPerSecond);
    var runId = Guid.NewGuid().ToString("N")[..8];
    var plan = FaultPlan.Create(settings);
    var batch = JobPlan.Create(settings.Jobs, settings.Seed, runId);
    AnsiConsole.MarkupLineInterpolated($"[bold]chaos run {runId}: {settings.Jobs} jobs over {settings.SendWindow.TotalSeconds:0}s, seed {settings.Seed} (replay: {settings.ReplayCommand})[/]");
    AnsiConsole.MarkupLineInterpolated($"jobs: {batch.Count(j => j.Kind == JobKind.Render)} renders, {batch.Count(j => j.Kind == JobKind.Image)} image workflows, {batch.Count(j => j.Kind == JobKind.CacheHit)} cache hits; {batch.Count(j => j.SentTwice)} sent twice, {batch.Count(j => j.Cancelled)} cancelled");
    AnsiConsole.WriteLine("fault schedule (seconds from the batch start):");
    AnsiConsole.Write(new Text(FaultPlan.Describe(plan)));

    var started = Stopwatch.StartNew();
    var ledger = new Ledger();
    await using var cluster = await ChaosCluster.StartAsync(runId, isCluster, ct);
    AnsiConsole.MarkupLineInterpolated($"services up at {started.Elapsed.TotalSeconds:0}s; building the snapshot");
    await cluster.BuildSnapshotAsync(ct);
    await using var client = await ChaosClient.StartAsync(cluster.Broker, runId, cluster.Queue, ledger, ct);
    cluster.StartWorkers();
    await cluster.WaitForWorkersAsync(TimeSpan.FromMinutes(3), ct);
    AnsiConsole.MarkupLineInterpolated($"snapshot built and {ChaosSettings.Workers} workers ready at {started.Elapsed.TotalSeconds:0}s; the batch starts");

    var faults = new FaultInjector(cluster, plan, cluster.Queue);
    await faults.PrepareAsync(ct);
    var batchStart = Stopwatch.GetTimestamp();
    using var progress = new Timer(_ => AnsiConsole.MarkupLineInterpolated(
        $"[grey]{Stopwatch.GetElapsedTime(batchStart).TotalSeconds:0}s: {ledger.AnsweredCount(batch.Select(j => j.JobId))}/{batch.Count} answered[/]"), null, 10_000, 10_000);
    await Task.WhenAll(new BatchSender(client, ledger, batch, settings).RunAsync(batchStart, ct), faults.RunAsync(batchStart, ct));

    // Drain: every job answered (and every duplicate twice), or the bound after the last fault.
    var bound = Stopwatch.StartNew();
    while (bound.Elapsed < ChaosSettings.AnswerBound && !Drained(batch, ledger))
    {
        await Task.Delay(500, ct);
    }

    // Answers still in flight to the client (a duplicate's second answer) get a moment.
    await Task.Delay(TimeSpan.FromSeconds(2), ct);
    var outcome = ChaosOutcome.From(batch, ledger, faults, cluster, batchStart);
    ChaosReport.Show(outcome);
    await ChaosReport.WriteAsync(settings.ReportPath, settings, plan, outcome, started.Elapsed, ct);
    AnsiConsole.MarkupLine(outcome.Holds ? "[green]holds[/]" : "[red]does NOT hold[/]");
    AnsiConsole.MarkupLineInterpolated($"report: {settings.ReportPath} (replay with --seed {settings.Seed})");
    return outcome.Holds ? 0 : 1;
});
return await root.Parse(args).InvokeAsync();

// COMFYSNAP_CHAOS_SEED pins the seed where the command line is not at hand (`./comfysnap test`).
static int? SeedFromEnvironment() =>
    int.TryParse(Environment.GetEnvironmentVariable("COMFYSNAP_CHAOS_SEED"), System.Globalization.CultureInfo.InvariantCulture, out var s) ? s : null;

static bool Drained(IReadOnlyList<PlannedJob> batch, Ledger ledger) => batch.All(j =>
    ledger.Get(j.JobId) is { } r && Ledger.Locked(r, () => r.Answers.Count >= (j.SentTwice ? 2 : 1)));
