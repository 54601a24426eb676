using ComfySnap.Contracts;
using ComfySnap.Operator.Bus;
using ComfySnap.Operator.Cli;
using Spectre.Console;

namespace ComfySnap.Operator.Submit;

/// <summary>
/// `submit`: sends every job of a batch to the worker queue, listens for their answers on a queue of
/// its own, writes outputs and the state file as answers come, shows progress and a summary.
/// Exit codes: 0 all completed, 1 some failed, 3 some unanswered (idle timeout or Ctrl+C; --resume later).
/// </summary>
public static class SubmitCommand
{
    public const int ExitFailed = 1;
    public const int ExitUnanswered = 3;

    public static async Task<int> RunAsync(SubmitSettings settings, Connection connection, OperatorIo io, CancellationToken cancellationToken)
    {
        var output = Path.GetFullPath(settings.Output);
        var items = await WorkflowSource.ReadAsync(settings.Inputs, cancellationToken);
        if (items.Count == 0 && !settings.Resume)
        {
            throw new ArgumentException("nothing to submit: give workflow files, folders or .jsonl files");
        }

        await using var journal = await BatchJournal.OpenAsync(output, settings.Resume, settings.BatchId, cancellationToken);

        var planned = BatchPlan.Expand(journal.BatchId, items, settings.Repeat, settings.Sweep);
        var known = journal.Jobs.Values.Select(j => new PlannedJob(j.JobId!, j.Name!, j.Workflow!)).ToList();
        var all = known.Concat(planned.Where(p => !journal.Jobs.ContainsKey(p.JobId))).ToList();
        var toSend = all.Where(j => !journal.Answers.ContainsKey(j.JobId)).ToList();
        var progress = new BatchProgress
        {
            Total = all.Count,
            Earlier = all.Count - toSend.Count,
            EarlierFailed = all.Count(j => journal.Answers.TryGetValue(j.JobId, out var a) && a.Type == "failed"),
        };
        io.Console.MarkupLine($"batch [bold]{Markup.Escape(journal.BatchId)}[/]: {all.Count} job(s), {progress.Earlier} answered earlier, {toSend.Count} to send to {Markup.Escape(connection.Display)}");

        await using var writer = new OutputWriter(output, connection.RedisOptions);
        await using var listener = await EventListener.StartAsync(connection, "submit", m => OnEventAsync(m, progress, journal, writer, cancellationToken), cancellationToken);
        foreach (var job in toSend)
        {
            progress.Expect(job);
        }

        await SendAsync(listener, journal, toSend, settings, cancellationToken);
        await ShowProgressAsync(io.Console, progress, settings.IdleTimeout, cancellationToken);
        SubmitSummary.Write(io.Console, journal.BatchId, output, progress);
        return progress.Failed + progress.EarlierFailed > 0 ? ExitFailed : progress.Pending > 0 ? ExitUnanswered : 0;
    }

    private static async Task SendAsync(EventListener listener, BatchJournal journal, IReadOnlyList<PlannedJob> jobs, SubmitSettings settings, CancellationToken cancellationToken)
    {
        var queue = await listener.JobQueueAsync();
        await Parallel.ForEachAsync(jobs, new ParallelOptions { MaxDegreeOfParallelism = settings.SendConcurrency, CancellationToken = cancellationToken }, async (job, ct) =>
        {
            if (!journal.Jobs.ContainsKey(job.JobId))
            {
                await journal.AppendAsync(new JournalEntry("job", JobId: job.JobId, Name: job.Name, Workflow: job.Workflow), ct);
            }

            await queue.Send(new RunWorkflow(job.JobId, job.Workflow, journal.BatchId, settings.Cache), ct);
        });
    }

    private static async Task OnEventAsync(object message, BatchProgress progress, BatchJournal journal, OutputWriter writer, CancellationToken cancellationToken)
    {
        switch (message)
        {
            case WorkflowCompleted c when progress.Take(c.JobId) is { } job:
                IReadOnlyList<string> files;
                try
                {
                    files = await writer.WriteAsync(job.Name, c, cancellationToken);
                }
                catch (IOException e)
                {
                    await journal.AppendAsync(new JournalEntry("failed", JobId: c.JobId, Kind: "OutputLost", Message: e.Message), cancellationToken);
                    progress.MarkFailed(job.Name, "OutputLost", e.Message);
                    return;
                }

                await journal.AppendAsync(new JournalEntry("completed", JobId: c.JobId, FromCache: c.FromCache, Files: files), cancellationToken);
                progress.MarkCompleted(c.FromCache, files.Count);
                break;
            case WorkflowFailed f when progress.Take(f.JobId) is { } job:
                await journal.AppendAsync(new JournalEntry("failed", JobId: f.JobId, Kind: f.Kind.ToString(), Message: f.Message), cancellationToken);
                progress.MarkFailed(job.Name, f.Kind.ToString(), f.Message);
                break;
        }
    }

    private static async Task ShowProgressAsync(IAnsiConsole console, BatchProgress progress, TimeSpan idleTimeout, CancellationToken cancellationToken)
    {
        var sending = progress.Pending;
        await console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn { Width = 16 }, new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .StartAsync(async ctx =>
            {
                var task = ctx.AddTask("starting", maxValue: Math.Max(1, sending));
                while (progress.Pending > 0 && progress.SinceLastAnswer < idleTimeout && !cancellationToken.IsCancellationRequested)
                {
                    Update(task, progress);
                    try
                    {
                        await Task.Delay(200, cancellationToken);
                    }
                    catch (OperationCanceledException)
                    {
                        break;
                    }
                }

                Update(task, progress);
                if (progress.Pending == 0)
                {
                    task.Value = task.MaxValue;
                }

                task.StopTask();
            });
    }

    private static void Update(ProgressTask task, BatchProgress p)
    {
        task.Value = p.Answered;
        task.Description = $"done {p.Completed} failed {p.Failed} cache {p.FromCache} {p.Rate:0.0}/s";
    }
}
