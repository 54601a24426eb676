using System.Diagnostics;
using System.Threading.Channels;
using ComfySnap.Contracts;
using ComfySnap.Worker.Bus;
using ComfySnap.Worker.Caching;
using ComfySnap.Worker.Engine;
using ComfySnap.Worker.Engine.Execution;
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

        var stored = await results.GetCompletedJobAsync(job.JobId, consumeToken).ConfigureAwait(false);
        if (stored is not null)
        {
            logger.LogInformation("Job {JobId} already completed: answering its stored result", job.JobId);
            await publisher.PublishResultAsync(stored, consumeToken).ConfigureAwait(false);
            return;
        }

        await publisher.PublishNowAsync(new WorkflowAccepted(job.JobId, job.BatchId, busOptions.Value.EffectiveWorkerId), consumeToken).ConfigureAwait(false);
        if (job.Deadline is { } deadline && deadline <= time.GetUtcNow())
        {
            await FailAsync(job, publisher, JobFailures.Simple(job, FailureKind.Timeout, $"deadline {deadline:O} passed before start", [], retryable: false), consumeToken).ConfigureAwait(false);
            return;
        }

        var report = engine.Validate(job.Workflow ?? "", out var workflow);
        if (workflow is null)
        {
            await FailAsync(job, publisher, JobFailures.FromValidation(job, report), consumeToken).ConfigureAwait(false);
            return;
        }

        var maxInline = job.Delivery?.MaxInlineBytes ?? busOptions.Value.MaxInlineBytes;
        var lookup = Stopwatch.StartNew();
        var key = job.CachePolicy == CachePolicy.Bypass ? null : cacheKey.Compute(workflow);
        if (job.CachePolicy == CachePolicy.Use && key is not null
            && await results.GetResultAsync(key, consumeToken).ConfigureAwait(false) is { } hit
            && await deliverer.FromCacheAsync(hit, maxInline, consumeToken).ConfigureAwait(false) is { } cachedFiles)
        {
            var cacheMs = lookup.Elapsed.TotalMilliseconds;
            var timings = new JobTimings(job.JobId, queueWaitMs, cacheMs, [], 0, 0, 0, total.Elapsed.TotalMilliseconds);
            logger.LogInformation("Job {JobId} answered from the output cache in {ElapsedMs:0.0} ms", job.JobId, cacheMs);
            await CompleteAsync(new WorkflowCompleted(job.JobId, job.BatchId, cachedFiles, FromCache: true, timings), publisher, consumeToken).ConfigureAwait(false);
            return;
        }

        var cacheLookupMs = lookup.Elapsed.TotalMilliseconds;
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

            var progress = Channel.CreateUnbounded<WorkflowProgress>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
            var pump = PumpProgressAsync(progress.Reader, publisher, consumeToken);
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
                progress.Writer.TryComplete();
                await pump.ConfigureAwait(false);
            }
        }

        var store = Stopwatch.StartNew();
        var (files, cached) = await deliverer.DeliverAsync(result.Outputs, maxInline, storeInCache: key is not null, consumeToken).ConfigureAwait(false);
        if (cached is not null && key is not null)
        {
            await results.PutResultAsync(key, cached, consumeToken).ConfigureAwait(false);
        }

        var nodes = result.Timings.Select(t => new Contracts.NodeTiming(t.NodeId, t.ClassType, t.Milliseconds, t.CacheHit)).ToList();
        var jobTimings = new JobTimings(job.JobId, queueWaitMs, cacheLookupMs, nodes, modelLoadMs, result.TotalMilliseconds, 0, 0);
        var answer = new WorkflowCompleted(job.JobId, job.BatchId, files, FromCache: false, jobTimings);
        await results.PutCompletedJobAsync(answer, consumeToken).ConfigureAwait(false);
        answer = answer with { Timings = jobTimings with { OutputStoreMs = store.Elapsed.TotalMilliseconds, TotalMs = total.Elapsed.TotalMilliseconds } };
        logger.LogInformation("Job {JobId} completed: {OutputCount} output(s), execute {ExecuteMs:0.0} ms, total {TotalMs:0.0} ms",
            job.JobId, files.Count, result.TotalMilliseconds, answer.Timings.TotalMs);
        await CompleteAsync(answer, publisher, consumeToken).ConfigureAwait(false);
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

    private async Task PumpProgressAsync(ChannelReader<WorkflowProgress> reader, IJobPublisher publisher, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var p in reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
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
}
