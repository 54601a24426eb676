using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using ComfySnap.Bench.Bus;
using ComfySnap.Contracts;
using Spectre.Console;

namespace ComfySnap.Bench.Fleet;

/// <summary>What one side of the fleet suite (routing on or off) measured.</summary>
public sealed record FleetRunResult(
    int Answered,
    int Failed,
    int Lost,
    int Duplicates,
    double WallS,
    IReadOnlyList<double> LatenciesMs,
    IReadOnlyList<double> ModelLoadMs,
    IReadOnlyList<double> SwitchByRestoreMs,
    IReadOnlyList<IReadOnlyDictionary<string, double>> SwitchPhasesMs,
    IReadOnlyDictionary<string, int> Routes,
    IReadOnlyDictionary<string, int> Warmth,
    IReadOnlyDictionary<string, int> SwitchFallbacks,
    double LoadAverageBefore,
    double LoadAverageAfter)
{
    public double JobsPerS => Answered / WallS;
}

/// <summary>
/// One side of the fleet suite: <c>workers</c> `serve` workers restored from the first model sets'
/// snapshots (worker i from set i mod the sets), the plan's jobs sent closed-loop with at most
/// <c>concurrency</c> unanswered (send -> first answer is a job's latency), then every answer's
/// JobTimings and the switches the workers logged.
/// </summary>
public sealed partial class FleetRun(BenchContext context, FleetPlan plan, int workers, int concurrency)
{
    // A side whose last answer is this old with jobs open has lost them (a switch by restore under load takes ~15 s).
    private static readonly TimeSpan Quiet = TimeSpan.FromMinutes(3);

    public async Task<FleetRunResult> RunAsync(string side, bool routing, IReadOnlyDictionary<string, string?> settings, Func<int, IReadOnlyDictionary<string, string?>> perWorker, CancellationToken ct)
    {
        var loadBefore = PageCacheState.LoadAverage();
        AnsiConsole.MarkupLineInterpolated($"  routing {side}: starting {workers} worker(s) (load average {loadBefore:0.0})");
        await using var bench = await BusBench.StartAsync(context, workers, ct, settings, perWorker);
        var batch = $"fleet-{side}-{bench.Id}";
        var latencies = new ConcurrentBag<double>();
        using var slots = new SemaphoreSlim(concurrency);
        var pending = new List<Task>();
        var start = Stopwatch.GetTimestamp();
        await AnsiConsole.Progress().AutoClear(false).StartAsync(async progress =>
        {
            var answered = progress.AddTask($"routing {side}", maxValue: plan.Picks.Count);
            for (var i = 0; i < plan.Picks.Count; i++)
            {
                while (!await slots.WaitAsync(TimeSpan.FromSeconds(1), ct))
                {
                    EnsureProgress(bench);
                    answered.Value = bench.Results.Answered;
                }

                var job = plan.Job(batch, batch, i);
                var answer = bench.Results.Expect(job.JobId);
                var sentAt = Stopwatch.GetTimestamp();
                await (routing ? bench.SendRoutedAsync(job, ct) : bench.SendAsync(job, ct));
                pending.Add(answer.ContinueWith(
                    t =>
                    {
                        latencies.Add(Stopwatch.GetElapsedTime(sentAt, t.Result.ReceivedAt).TotalMilliseconds);
                        slots.Release();
                    }, ct, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default));
                answered.Value = bench.Results.Answered;
            }

            while (bench.Results.Answered < plan.Picks.Count && Stopwatch.GetElapsedTime(bench.Results.LastAnswerAt) < Quiet)
            {
                bench.EnsureWorkersAlive();
                await Task.Delay(250, ct);
                answered.Value = bench.Results.Answered;
            }

            answered.Value = bench.Results.Answered;
        });
        // First send to last answer (not to the end of the quiet wait after a loss).
        var wall = Math.Max(1e-3, Stopwatch.GetElapsedTime(start, bench.Results.LastAnswerAt).TotalSeconds);

        // Late copies of answers would show up as duplicates.
        await Task.Delay(TimeSpan.FromSeconds(3), ct);
        var completions = bench.Results.Completions().ToList();
        var failures = bench.Results.Failures().ToList();
        foreach (var kind in failures.GroupBy(f => f.Kind))
        {
            AnsiConsole.MarkupLineInterpolated($"  [red]{kind.Count()} failed ({kind.Key}): {kind.First().Message}[/]");
        }

        var loaded = completions.Where(c => c.Timings.Models == ModelWarmth.Loaded).ToList();
        return new FleetRunResult(
            bench.Results.Answered,
            failures.Count,
            plan.Picks.Count - bench.Results.Answered,
            bench.Results.Duplicates,
            wall,
            [.. latencies],
            [.. loaded.Select(c => c.Timings.ModelLoadMs)],
            SwitchTimes(bench.WorkerOutput()),
            SwitchPhases(bench.WorkerOutput()),
            Count(completions.Select(c => c.Timings.Route.ToString())),
            Count(completions.Select(c => c.Timings.Models.ToString())),
            Count(completions.Select(c => c.Timings.SwitchFallback).OfType<string>()),
            loadBefore,
            PageCacheState.LoadAverage());
    }

    private void EnsureProgress(BusBench bench)
    {
        bench.EnsureWorkersAlive();
        if (Stopwatch.GetElapsedTime(bench.Results.LastAnswerAt) > Quiet)
        {
            throw new TimeoutException($"no answer for {Quiet.TotalMinutes} minutes with {concurrency} job(s) open; {bench.Results.Answered} of {plan.Picks.Count} answered");
        }
    }

    // The copy's "Switched to model set K by restore: consuming its queue N ms after ..." line, as text or as a JSON property.
    private static List<double> SwitchTimes(IEnumerable<string> lines) =>
        [.. lines.Select(l => SwitchByRestoreLine().Match(l)).Where(m => m.Success)
            .Select(m => double.Parse(m.Groups["text"].Success ? m.Groups["text"].Value : m.Groups["json"].Value, CultureInfo.InvariantCulture))];

    // The same line's "(phases parked=899 told-ready=901 ... consuming=2532)", as text or as the JSON property SwitchPhasesMs.
    private static List<IReadOnlyDictionary<string, double>> SwitchPhases(IEnumerable<string> lines) =>
        [.. lines.Select(l => SwitchPhasesLine().Match(l)).Where(m => m.Success)
            .Select(m => (IReadOnlyDictionary<string, double>)m.Groups["phases"].Value.Split(' ').Select(p => p.Split('='))
                .ToDictionary(p => p[0], p => double.Parse(p[1], CultureInfo.InvariantCulture), StringComparer.Ordinal))];

    private static Dictionary<string, int> Count(IEnumerable<string> values) =>
        values.GroupBy(v => v, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);

    [GeneratedRegex(@"by restore: consuming its queue (?<text>\d+(\.\d+)?) ms after|""SwitchByRestoreMs"":(?<json>\d+(\.\d+)?)", RegexOptions.None, 1000)]
    private static partial Regex SwitchByRestoreLine();

    [GeneratedRegex(@"(?:\(phases |""SwitchPhasesMs"":"")(?<phases>[a-z-]+=\d+(?: [a-z-]+=\d+)*)", RegexOptions.None, 1000)]
    private static partial Regex SwitchPhasesLine();
}
