using System.Diagnostics;
using System.Threading.Channels;
using ComfySnap.Contracts;
using ComfySnap.Worker.Bus;
using ComfySnap.Worker.Caching;
using ComfySnap.Worker.Engine;
using ComfySnap.Worker.Engine.Execution;
using ComfySnap.Worker.Engine.Validation;
using ComfySnap.Worker.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ComfySnap.Worker.Jobs;

/// <summary>
/// Runs one RunWorkflow job: idempotency, validation, output cache, engine run with progress,
/// output delivery, result events. Bad input and node errors are answered with WorkflowFailed; only
/// infrastructure failures and shutdown propagate (so the bus retries or hands the message back).
/// </summary>
public sealed class JobRunner(
    WorkflowEngine engine,
    WorkflowCacheKey cacheKey,
    ResultStore results,
    OutputDeliverer deliverer,
    JobRegistry registry,
    ModelStore models,
    IOptions<BusOptions> busOptions,
    TimeProvider time,
    ILogger<JobRunner> logger)
{
    public async Task RunAsync(RunWorkflow job, DateTimeOffset? sentTime, IJobPublisher publisher, CancellationToken consumeToken)
    {
        if (string.IsNullOrWhiteSpace(job.JobId))
        {
            throw new InvalidJobException("RunWorkflow without a JobId");
        }

        using var scope = logger.BeginScope(new Dictionary<string, object> { ["JobId"] = job.JobId, ["JobTag"] = $"[{job.JobId}] " });
        var total = Stopwatch.StartNew();
        var queueWaitMs = sentTime is { } sent ? Math.Max(0, (time.GetUtcNow() - sent).TotalMilliseconds) : 0;

        if (registry.TakePendingCancel(job.JobId))
        {
            logger.LogInformation("Job {JobId} was cancelled before it ran", job.JobId);
            await publisher.PublishResultAsync(JobFailures.Simple(job, FailureKind.Cancelled, "cancelled before start", [], retryable: false), consumeToken).ConfigureAwait(false);
            return;
        }

        // The completed-job lookup and the workflow's cache lookup go to Redis together.
        var maxInline = job.Delivery?.MaxInlineBytes ?? busOptions.Value.MaxInlineBytes;
        var storedLookup = results.GetCompletedJobAsync(job.JobId, consumeToken);
        var planning = PlanAsync(job, maxInline, consumeToken);
        var stored = await storedLookup.ConfigureAwait(false);
        if (stored is not null)
        {
            await planning.ConfigureAwait(false);
            logger.LogInformation("Job {JobId} already completed: answering its stored result", job.JobId);
            await publisher.PublishResultAsync(stored, consumeToken).ConfigureAwait(false);
            return;
        }

        // Accepted goes out now; its broker confirm is awaited only before the job's result leaves
        // (results are sent when this method returns), so it overlaps the job instead of delaying it.
        var accepted = publisher.PublishNowAsync(new WorkflowAccepted(job.JobId, job.BatchId, busOptions.Value.EffectiveWorkerId), consumeToken);
        try
        {
            var (report, workflow, key, cachedFiles, cacheLookupMs) = await planning.ConfigureAwait(false);
            if (job.Deadline is { } deadline && deadline <= time.GetUtcNow())
            {
                await FailAsync(job, publisher, JobFailures.Simple(job, FailureKind.Timeout, $"deadline {deadline:O} passed before start", [], retryable: false), consumeToken).ConfigureAwait(false);
                return;
            }

            if (workflow is null)
            {
                await FailAsync(job, publisher, JobFailures.FromValidation(job, report), consumeToken).ConfigureAwait(false);
                return;
            }

            if (cachedFiles is not null)
            {
                var timings = new JobTimings(job.JobId, queueWaitMs, cacheLookupMs, [], 0, 0, 0, total.Elapsed.TotalMilliseconds);
                logger.LogInformation("Job {JobId} answered from the output cache in {ElapsedMs:0.0} ms", job.JobId, cacheLookupMs);
                await CompleteAsync(new WorkflowCompleted(job.JobId, job.BatchId, cachedFiles, FromCache: true, timings), publisher, consumeToken).ConfigureAwait(false);
                return;
            }

            var modelLoadMs = 0.0;
            void OnModelLoaded(string kind, string name, double ms) => modelLoadMs += ms;

            ExecutionResult result;
            using (var lease = registry.Start(job.JobId))
            using (var linked = CancellationTokenSource.CreateLinkedTokenSource(consumeToken, lease.Token))
            using (var deadlineSource = new CancellationTokenSource())
            using (var runToken = CancellationTokenSource.CreateLinkedTokenSource(linked.Token, deadlineSource.Token))
            {
                if (job.Deadline is { } d)
                {
                    deadlineSource.CancelAfter(TimeSpan.FromMilliseconds(Math.Max(1, (d - time.GetUtcNow()).TotalMilliseconds)));
                }

                // Progress is conflated: while one event waits for its broker confirm only the newest
                // is kept, so a fast job is never slowed down by its own progress events.
                var progress = Channel.CreateBounded<WorkflowProgress>(new BoundedChannelOptions(1)
                {
                    FullMode = BoundedChannelFullMode.DropOldest,
                    SingleReader = true,
                    SingleWriter = true,
                });
                using var progressDone = CancellationTokenSource.CreateLinkedTokenSource(consumeToken);
                var pump = PumpProgressAsync(progress.Reader, publisher, progressDone.Token, consumeToken);
                models.Loaded += OnModelLoaded;
                try
                {
                    logger.LogInformation("Job {JobId} running {NodeCount} node(s)", job.JobId, workflow.ExecutionOrder.Count);
                    result = await engine.RunAsync(workflow, p => progress.Writer.TryWrite(
                        new WorkflowProgress(job.JobId, p.NodeId, p.ClassType, p.NodeIndex, p.NodeCount, p.Step, p.Total)), runToken.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException e) when (!consumeToken.IsCancellationRequested)
                {
                    var completed = (e as WorkflowCancelledException)?.CompletedNodes ?? [];
                    var failure = lease.IsCancellationRequested
                        ? JobFailures.Simple(job, FailureKind.Cancelled, "cancelled by CancelWorkflow", completed, retryable: false)
                        : JobFailures.Simple(job, FailureKind.Timeout, $"deadline {job.Deadline:O} passed", completed, retryable: false);
                    await FailAsync(job, publisher, failure, consumeToken).ConfigureAwait(false);
                    return;
                }
                catch (NodeExecutionException e)
                {
                    await FailAsync(job, publisher, JobFailures.FromNodeError(job, e), consumeToken).ConfigureAwait(false);
                    return;
                }
                finally
                {
                    models.Loaded -= OnModelLoaded;
                    // Progress not yet sent is stale once the job is over; only the one in flight is awaited.
                    progress.Writer.TryComplete();
                    await progressDone.CancelAsync().ConfigureAwait(false);
                    await pump.ConfigureAwait(false);
                }
            }

            var store = Stopwatch.StartNew();
            var (files, cached) = await deliverer.DeliverAsync(result.Outputs, maxInline, storeInCache: key is not null, consumeToken).ConfigureAwait(false);
            var nodes = result.Timings.Select(t => new Contracts.NodeTiming(t.NodeId, t.ClassType, t.Milliseconds, t.CacheHit)).ToList();
            var jobTimings = new JobTimings(job.JobId, queueWaitMs, cacheLookupMs, nodes, modelLoadMs, result.TotalMilliseconds, 0, 0);
            var answer = new WorkflowCompleted(job.JobId, job.BatchId, files, FromCache: false, jobTimings);
            await Task.WhenAll(
                cached is not null && key is not null ? results.PutResultAsync(key, cached, consumeToken) : Task.CompletedTask,
                results.PutCompletedJobAsync(answer, consumeToken)).ConfigureAwait(false);
            answer = answer with { Timings = jobTimings with { OutputStoreMs = store.Elapsed.TotalMilliseconds, TotalMs = total.Elapsed.TotalMilliseconds } };
            logger.LogInformation("Job {JobId} completed: {OutputCount} output(s), execute {ExecuteMs:0.0} ms, total {TotalMs:0.0} ms",
                job.JobId, files.Count, result.TotalMilliseconds, answer.Timings.TotalMs);
            await CompleteAsync(answer, publisher, consumeToken).ConfigureAwait(false);
        }
        finally
        {
            await accepted.ConfigureAwait(false);
        }
    }

    /// <summary>Validation, cache key and cache lookup: everything decided before the engine runs.</summary>
    private async Task<JobPlan> PlanAsync(RunWorkflow job, long maxInline, CancellationToken cancellationToken)
    {
        var report = engine.Validate(job.Workflow ?? "", out var workflow);
        if (workflow is null)
        {
            return new JobPlan(report, null, null, null, 0);
        }

        var lookup = Stopwatch.StartNew();
        var key = job.CachePolicy == CachePolicy.Bypass ? null : cacheKey.Compute(workflow);
        IReadOnlyList<OutputFile>? cachedFiles = null;
        if (job.CachePolicy == CachePolicy.Use && key is not null
            && await results.GetResultAsync(key, cancellationToken).ConfigureAwait(false) is { } hit)
        {
            cachedFiles = await deliverer.FromCacheAsync(hit, maxInline, cancellationToken).ConfigureAwait(false);
        }

        return new JobPlan(report, workflow, key, cachedFiles, lookup.Elapsed.TotalMilliseconds);
    }

    private static async Task CompleteAsync(WorkflowCompleted completed, IJobPublisher publisher, CancellationToken cancellationToken)
    {
        await publisher.PublishResultAsync(completed, cancellationToken).ConfigureAwait(false);
        await publisher.PublishResultAsync(completed.Timings, cancellationToken).ConfigureAwait(false);
    }

    private async Task FailAsync(RunWorkflow job, IJobPublisher publisher, WorkflowFailed failure, CancellationToken cancellationToken)
    {
        logger.LogWarning("Job {JobId} failed ({Kind}): {Reason}", job.JobId, failure.Kind, failure.Message);
        await publisher.PublishResultAsync(failure, cancellationToken).ConfigureAwait(false);
    }

    private async Task PumpProgressAsync(ChannelReader<WorkflowProgress> reader, IJobPublisher publisher, CancellationToken stopToken, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var p in reader.ReadAllAsync(stopToken).ConfigureAwait(false))
            {
                await publisher.PublishNowAsync(p, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning("Progress events stopped: {Reason}", e.Message);
        }
        catch (OperationCanceledException)
        {
            // shutting down
        }
    }

    private sealed record JobPlan(ValidationReport Report, ValidatedWorkflow? Workflow, string? Key, IReadOnlyList<OutputFile>? CachedFiles, double CacheLookupMs);
}
