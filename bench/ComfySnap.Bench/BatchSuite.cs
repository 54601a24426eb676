using System.Diagnostics;
using ComfySnap.Bench.Bus;
using ComfySnap.Contracts;
using Spectre.Console;

namespace ComfySnap.Bench;

/// <summary>
/// `batch`: <c>jobs</c> RunWorkflow messages sent at once to two `serve` workers sharing one queue.
/// Half are tiny renders of a workflow of their own, half repeat one of 16 workflows (cache hits
/// once the first copy is done). Counts answers per JobId: lost = never answered, duplicates =
/// answered more than once.
/// </summary>
public sealed class BatchSuite(BenchContext context, int jobs)
{
    private const int SharedVariants = 16;

    // A run whose last answer is this old with jobs still open has lost them.
    private static readonly TimeSpan Quiet = TimeSpan.FromSeconds(60);

    public async Task<Dictionary<string, object?>> RunAsync(CancellationToken ct)
    {
        await using var bench = await BusBench.StartAsync(context, workerCount: 2, ct);
        var batch = $"batch-{bench.Id}";
        var messages = Enumerable.Range(0, jobs).Select(i =>
            new RunWorkflow($"{batch}-{i}", TinyWorkflows.Render(i % 2 == 0 ? i % SharedVariants : SharedVariants + i), batch)).ToList();
        foreach (var m in messages)
        {
            _ = bench.Results.Expect(m.JobId);
        }

        var watch = Stopwatch.StartNew();
        var start = Stopwatch.GetTimestamp();
        await AnsiConsole.Progress().AutoClear(false).StartAsync(async progress =>
        {
            var sent = progress.AddTask("sent", maxValue: jobs);
            var answered = progress.AddTask("answered", maxValue: jobs);
            foreach (var chunk in messages.Chunk(500))
            {
                await Task.WhenAll(chunk.Select(m => bench.SendAsync(m, ct)));
                sent.Increment(chunk.Length);
                answered.Value = bench.Results.Answered;
            }

            while (bench.Results.Answered < jobs && Stopwatch.GetElapsedTime(bench.Results.LastAnswerAt) < Quiet)
            {
                bench.EnsureWorkersAlive();
                await Task.Delay(250, ct);
                answered.Value = bench.Results.Answered;
            }

            answered.Value = bench.Results.Answered;
        });
        var wall = watch.Elapsed.TotalSeconds;

        // Late copies of answers would show up here as duplicates.
        await Task.Delay(TimeSpan.FromSeconds(3), ct);
        var failures = bench.Results.Failures().ToList();
        foreach (var kind in failures.GroupBy(f => f.Kind))
        {
            AnsiConsole.MarkupLineInterpolated($"  [red]{kind.Count()} failed ({kind.Key}): {kind.First().Message}[/]");
        }

        var answers = bench.Results.Answered;
        return new Dictionary<string, object?>
        {
            ["jobs"] = jobs,
            ["workers"] = 2,
            ["completed"] = answers - failures.Count,
            ["failed"] = failures.Count,
            ["from_cache"] = bench.Results.Completions().Count(c => c.FromCache),
            ["lost"] = jobs - answers,
            ["duplicates"] = bench.Results.Duplicates,
            ["jobs_per_s"] = answers / wall,
            ["wall_s"] = wall,
            // Kept for the throughput chart (`./comfysnap bench charts`).
            ["completions_per_second"] = bench.Results.AnswersPerSecond(start),
        };
    }
}
