using System.Diagnostics;
using ComfySnap.Contracts;
using ComfySnap.Worker.Bus;
using ComfySnap.Worker.Caching;
using ComfySnap.Worker.Delivery;
using ComfySnap.Engine;
using ComfySnap.Engine.Execution;
using ComfySnap.Engine.Validation;
using ComfySnap.Worker.Jobs.Leases;
using ComfySnap.Diffusion.Models;
using ComfySnap.Worker.Fleet;
using ComfySnap.Worker.Telemetry;
using ComfySnap.Worker.Webhooks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

using ComfySnap.Worker.Models;

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
    DeliveryPlanner deliveryPlanner,
    OutputUploader uploader,
    InputFileMaterializer inputFiles,
    ModelUrlFetcher modelUrls,
    JobRegistry registry,
    JobLeaseGate leaseGate,
    ModelStore models,
    FleetJobs fleet,
    ModelBudget budget,
    IOptions<BusOptions> busOptions,
    TimeProvider time,
    WorkerMetrics metrics,
    JobCounters counters,
    WebhookDeliveries webhooks,
    ILogger<JobRunner> logger)
{
    public async Task RunAsync(RunWorkflow job, DateTimeOffset? sentTime, IJobPublisher publisher, CancellationToken consumeToken, JobDelivery? delivery = null)
    {
        if (string.IsNullOrWhiteSpace(job.JobId))
        {
            throw new InvalidJobException("RunWorkflow without a JobId");
        }

        using var counted = counters.Track();
        using var scope = logger.BeginScope(new Dictionary<string, object> { ["JobId"] = job.JobId, ["JobTag"] = $"[{job.JobId}] " });
        using var activity = WorkerActivities.Source.StartActivity(WorkerActivities.Job);
        activity?.SetTag("comfysnap.job.id", job.JobId);
        activity?.SetTag("comfysnap.batch.id", job.BatchId);
        var context = new JobContext(job, publisher, Stopwatch.StartNew(), sentTime is { } sent ? Math.Max(0, (time.GetUtcNow() - sent).TotalMilliseconds) : 0,
            job.Delivery?.MaxInlineBytes ?? busOptions.Value.MaxInlineBytes, consumeToken, Delivery: delivery ?? JobDelivery.Shared);
        if (sentTime is not null)
        {
            metrics.QueueWait(context.QueueWaitMs);
        }

        if (registry.TakePendingCancel(job.JobId))
        {
            logger.LogInformation("Job {JobId} was cancelled before it ran", job.JobId);
            await FailAsync(context, JobFailures.Simple(job, FailureKind.Cancelled, "cancelled before start", [], retryable: false)).ConfigureAwait(false);
            return;
        }

        // The completed-job lookup and the workflow's cache lookup go to Redis together.
        var storedLookup = results.GetCompletedJobAsync(job.JobId, consumeToken);
        var planning = PlanAsync(context);
        try
        {
            await AnswerOnceAsync(context, storedLookup, planning).ConfigureAwait(false);
        }
        finally
        {
            ReleaseWhenPlanned(planning);
        }
    }

    /// <summary>
    /// The job's downloaded models stay locked (never evicted by another process) until it was
    /// answered; released once planning ends, when a failure left the plan unawaited.
    /// </summary>
    private static void ReleaseWhenPlanned(Task<JobPlan> planning) =>
        _ = planning.ContinueWith(static p => p.Result.ModelFiles?.Dispose(), CancellationToken.None,
            TaskContinuationOptions.OnlyOnRanToCompletion | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    private async Task AnswerOnceAsync(JobContext context, Task<WorkflowCompleted?> storedLookup, Task<JobPlan> planning)
    {
        var job = context.Job;
        var consumeToken = context.Token;
        var stored = await storedLookup.ConfigureAwait(false);
        if (stored is not null)
        {
            await planning.ConfigureAwait(false);
            logger.LogInformation("Job {JobId} already completed: answering its stored result", job.JobId);
            await AnswerStoredAsync(context, stored).ConfigureAwait(false);
            return;
        }

        // One JobId, one run: a duplicate waits for the run holding the lease and answers with its result.
        var lease = await leaseGate.EnterAsync(job.JobId, consumeToken).ConfigureAwait(false);
        await using (lease.ConfigureAwait(false))
        {
            if (lease.StoredAnswer is { } answer)
            {
                await planning.ConfigureAwait(false);
                logger.LogInformation("Job {JobId} was run by another worker: answering its result", job.JobId);
                await AnswerStoredAsync(context, answer).ConfigureAwait(false);
                return;
            }

            await RunLeasedAsync(context with { Lease = lease.Lease }, planning).ConfigureAwait(false);
        }
    }

    private async Task RunLeasedAsync(JobContext context, Task<JobPlan> planning)
    {
        var (job, publisher, consumeToken) = (context.Job, context.Publisher, context.Token);
        if (registry.TakePendingCancel(job.JobId))
        {
            await planning.ConfigureAwait(false);
            logger.LogInformation("Job {JobId} was cancelled while it waited for its lease", job.JobId);
            await FailAsync(context, JobFailures.Simple(job, FailureKind.Cancelled, "cancelled before start", [], retryable: false)).ConfigureAwait(false);
            return;
        }

        // The model set decides whether this worker runs the job at all (a model that failed to load
        // here, a job another worker's model queue should have): decided before it is accepted.
        var plan = await planning.ConfigureAwait(false);
        if (plan.Workflow is not null)
        {
            context = context with { ModelSet = await fleet.LearnAsync(job, plan.Workflow).ConfigureAwait(false) };
            if (plan.CachedFiles is null && !await RouteAsync(context, await fleet.DecideAsync(job, context.ModelSet, context.Delivery, consumeToken).ConfigureAwait(false), null).ConfigureAwait(false))
            {
                return;
            }
        }

        // Accepted goes out now; its broker confirm is awaited only before the job's result leaves
        // (results are sent when this method returns), so it overlaps the job instead of delaying it.
        var accepted = publisher.PublishNowAsync(new WorkflowAccepted(job.JobId, job.BatchId, busOptions.Value.EffectiveWorkerId), consumeToken);
        try
        {
            await AnswerAsync(context, plan).ConfigureAwait(false);
        }
        finally
        {
            await accepted.ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Carries out a routing decision: true to run the job here; otherwise it was forwarded, handed
    /// back or failed here. A run whose lease another run took over reroutes nothing (the holder answers).
    /// </summary>
    private async Task<bool> RouteAsync(JobContext context, RoutingDecision decision, NodeExecutionException? loadError)
    {
        var job = context.Job;
        switch (decision.Action)
        {
            case RoutingAction.Run:
                return true;
            case RoutingAction.Fail:
                var failure = loadError is not null
                    ? JobFailures.FromNodeError(job, loadError)
                    : JobFailures.Simple(job, FailureKind.NodeError, $"model {decision.Model} could not be loaded on worker(s) {string.Join(", ", context.Delivery.HandedBackBy.Append(busOptions.Value.EffectiveWorkerId).Distinct())}: {decision.Reason}", [], retryable: false);
                await FailAsync(context, failure).ConfigureAwait(false);
                return false;
        }

        if (context.Lease is { } lease && await lease.CheckAsync(context.Token).ConfigureAwait(false) is { IsFenced: true } fencedBy)
        {
            await EndFencedAsync(context, fencedBy).ConfigureAwait(false);
            return false;
        }

        var (exchange, routingKey, headers) = decision.Action is RoutingAction.Forward or RoutingAction.Switch
            ? fleet.Forward(context.ModelSet!)
            : fleet.HandBack(context.Delivery, decision);
        await context.Publisher.RerouteAsync(job with { ModelSet = job.ModelSet ?? context.ModelSet }, exchange, routingKey, headers, context.Token).ConfigureAwait(false);
        if (decision.Action == RoutingAction.Forward)
        {
            logger.LogInformation("Job {JobId} forwarded to the queue of model set {ModelSetKey}: another worker holds it", job.JobId, context.ModelSet!.Key);
            metrics.JobAnswered("forwarded", context.Total.Elapsed.TotalMilliseconds);
        }
        else if (decision.Action == RoutingAction.Switch)
        {
            logger.LogInformation("Job {JobId} forwarded to the queue of model set {ModelSetKey}: the copy restored from its snapshot takes this worker's place", job.JobId, context.ModelSet!.Key);
            metrics.JobAnswered("forwarded", context.Total.Elapsed.TotalMilliseconds);
        }
        else
        {
            logger.LogWarning("Job {JobId} handed back to the shared queue: model {Model} cannot load on this worker ({Reason})", job.JobId, decision.Model, decision.Reason);
            metrics.JobAnswered("handed-back", context.Total.Elapsed.TotalMilliseconds);
        }

        return false;
    }

    /// <summary>Validation, cache key and cache lookup: everything decided before the engine runs.</summary>
    private async Task<JobPlan> PlanAsync(JobContext context)
    {
        var job = context.Job;
        string workflowJson;
        try
        {
            workflowJson = await inputFiles.PrepareAsync(job, context.Token).ConfigureAwait(false);
        }
        catch (InputFileException e)
        {
            var error = new WorkflowError(ValidationErrorTypes.InvalidInputFile, "Invalid input file", e.Message);
            return new JobPlan(new ValidationReport(error, new Dictionary<string, NodeErrorReport>(), []), null, null, null, 0);
        }

        ValidationReport report;
        ValidatedWorkflow? workflow;
        using (var validate = WorkerActivities.Source.StartActivity(WorkerActivities.Validate))
        {
            report = engine.Validate(workflowJson, out workflow);
            validate?.SetTag("comfysnap.valid", workflow is not null);
        }

        if (workflow is null)
        {
            return new JobPlan(report, null, null, null, 0);
        }

        var (delivery, deliveryProblem) = deliveryPlanner.Resolve(job);
        if (delivery is null)
        {
            return new JobPlan(report, workflow, null, null, 0, DeliveryProblem: deliveryProblem);
        }

        // Objects are uploaded from the bytes, so a job with a bucket reads its cached outputs whole.
        var maxInline = delivery.Target is null ? context.MaxInline : long.MaxValue;
        var lookup = Stopwatch.StartNew();
        var key = job.CachePolicy == CachePolicy.Bypass ? null : cacheKey.Compute(workflow) + delivery.CacheKeySuffix;
        IReadOnlyList<OutputFile>? cachedFiles = null;
        if (job.CachePolicy == CachePolicy.Use && key is not null)
        {
            using var span = WorkerActivities.Source.StartActivity(WorkerActivities.CacheLookup);
            if (await results.GetResultAsync(key, context.Token).ConfigureAwait(false) is { } hit)
            {
                cachedFiles = await deliverer.FromCacheAsync(hit, maxInline, context.Token).ConfigureAwait(false);
            }

            span?.SetTag("comfysnap.cache.hit", cachedFiles is not null);
            metrics.CacheLookup(cachedFiles is not null);
        }

        var cacheLookupMs = lookup.Elapsed.TotalMilliseconds;
        if (cachedFiles is not null)
        {
            return new JobPlan(report, workflow, key, cachedFiles, cacheLookupMs, delivery);
        }

        // Models by URL only now that the job has to run (a cache hit never downloads): validation
        // counted them present and the cache key names them by their pinned sha256.
        try
        {
            var modelFiles = await modelUrls.FetchAsync(workflowJson, context.Token).ConfigureAwait(false);
            return new JobPlan(report, workflow, key, null, cacheLookupMs, delivery, ModelFiles: modelFiles);
        }
        catch (InputFileException e)
        {
            var error = new WorkflowError(ValidationErrorTypes.InvalidInputFile, "Invalid input file", e.Message);
            return new JobPlan(new ValidationReport(error, new Dictionary<string, NodeErrorReport>(), []), null, null, null, cacheLookupMs);
        }
    }

    /// <summary>The job's one answer: a failure, the cached result, or a run's result.</summary>
    private async Task AnswerAsync(JobContext context, JobPlan plan)
    {
        var job = context.Job;
        if (job.Deadline is { } deadline && deadline <= time.GetUtcNow())
        {
            await FailAsync(context, JobFailures.Simple(job, FailureKind.Timeout, $"deadline {deadline:O} passed before start", [], retryable: false)).ConfigureAwait(false);
            return;
        }

        if (plan.Workflow is null)
        {
            await FailAsync(context, JobFailures.FromValidation(job, plan.Report)).ConfigureAwait(false);
            return;
        }

        if (plan.Delivery is null)
        {
            await FailAsync(context, JobFailures.Simple(job, FailureKind.OutputDeliveryFailed, plan.DeliveryProblem ?? "no delivery plan", [], retryable: false)).ConfigureAwait(false);
            return;
        }

        if (plan.CachedFiles is not null)
        {
            if (await UploadAsync(context, plan.Delivery, plan.CachedFiles).ConfigureAwait(false) is not { } cachedFiles)
            {
                return;
            }

            var timings = new JobTimings(job.JobId, context.QueueWaitMs, plan.CacheLookupMs, [], 0, 0, 0, context.Total.Elapsed.TotalMilliseconds,
                busOptions.Value.EffectiveWorkerId, context.ModelSet?.Key, ModelWarmth.NoModels, context.Delivery.Route);
            logger.LogInformation("Job {JobId} answered from the output cache in {ElapsedMs:0.0} ms", job.JobId, plan.CacheLookupMs);
            var fromCache = new WorkflowCompleted(job.JobId, job.BatchId, cachedFiles, FromCache: true, timings);
            // A cache answer is the job's answer too: a duplicate of this JobId gets it back, not a
            // second cache lookup (found by the chaos run: the duplicate ran again, and a cache
            // refreshed in between would have answered one JobId with two different results).
            if (await SettleAsync(context, await StoreAnswerAsync(context, fromCache).ConfigureAwait(false)).ConfigureAwait(false))
            {
                await CompleteAsync(context, fromCache).ConfigureAwait(false);
            }

            return;
        }

        var (result, modelLoadMs, warmth) = await ExecuteAsync(context, plan.Workflow).ConfigureAwait(false);
        if (result is not null)
        {
            await StoreAndCompleteAsync(context, plan, result, modelLoadMs, warmth).ConfigureAwait(false);
        }
    }

    /// <summary>Runs the engine with progress, cancel and deadline; a cancelled or failed run is answered here (null result).</summary>
    private async Task<(ExecutionResult? Result, double ModelLoadMs, ModelWarmth Warmth)> ExecuteAsync(JobContext context, ValidatedWorkflow workflow)
    {
        var job = context.Job;
        var modelLoadMs = 0.0;
        var setModels = context.ModelSet?.Models.ToHashSet(StringComparer.Ordinal) ?? [];
        var loadedHere = false;
        (string Model, Exception Error)? loadFailure = null;
        void OnModelLoaded(string kind, string name, double ms)
        {
            modelLoadMs += ms;
            loadedHere |= setModels.Contains(ModelSet.ModelName(kind, name));
        }

        void OnModelLoadFailed(string kind, string name, Exception error)
        {
            // Loads of other jobs (waiting for the engine) are not this job's failure.
            if (setModels.Contains(ModelSet.ModelName(kind, name)))
            {
                loadFailure ??= (ModelSet.ModelName(kind, name), error);
            }
        }

        // Models:MemoryBudget: room is made (least recently used models unloaded) and this job's models pinned until it ends.
        using var pinned = await budget.EnterAsync(context.ModelSet, context.Token).ConfigureAwait(false);
        var warmBefore = fleet.Holds(context.ModelSet);

        using var cancel = registry.Start(job.JobId);
        // A run whose lease another run took over stops early (it would not be allowed to answer).
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(context.Token, cancel.Token, context.Lease?.Fenced ?? CancellationToken.None);
        using var deadlineSource = new CancellationTokenSource();
        using var runToken = CancellationTokenSource.CreateLinkedTokenSource(linked.Token, deadlineSource.Token);
        if (job.Deadline is { } deadline)
        {
            deadlineSource.CancelAfter(TimeSpan.FromMilliseconds(Math.Max(1, (deadline - time.GetUtcNow()).TotalMilliseconds)));
        }

        var progress = new ProgressPublisher(context.Publisher, logger, context.Token);
        await using (progress.ConfigureAwait(false))
        {
            models.Loaded += OnModelLoaded;
            models.LoadFailed += OnModelLoadFailed;
            try
            {
                logger.LogInformation("Job {JobId} running {NodeCount} node(s)", job.JobId, workflow.ExecutionOrder.Count);
                using var span = WorkerActivities.Source.StartActivity(WorkerActivities.Execute);
                var result = await engine.RunAsync(workflow, p => progress.Report(
                    new WorkflowProgress(job.JobId, p.NodeId, p.ClassType, p.NodeIndex, p.NodeCount, p.Step, p.Total)), runToken.Token).ConfigureAwait(false);
                var warmth = context.ModelSet is null ? ModelWarmth.NoModels : loadedHere ? ModelWarmth.Loaded : warmBefore ? ModelWarmth.Warm : ModelWarmth.Waited;
                return (result, modelLoadMs, warmth);
            }
            catch (OperationCanceledException e) when (!context.Token.IsCancellationRequested && context.Lease?.FencedBy is { } fencedBy)
            {
                // Not the user's cancel: no WorkflowFailed; the run holding the lease answers.
                logger.LogInformation("Job {JobId} stopped after {CompletedNodes} of {NodeCount} node(s): another run took it over",
                    job.JobId, (e as WorkflowCancelledException)?.CompletedNodes.Count ?? 0, workflow.ExecutionOrder.Count);
                await EndFencedAsync(context, fencedBy).ConfigureAwait(false);
                return (null, modelLoadMs, ModelWarmth.NoModels);
            }
            catch (OperationCanceledException e) when (!context.Token.IsCancellationRequested)
            {
                var completed = (e as WorkflowCancelledException)?.CompletedNodes ?? [];
                var failure = cancel.IsCancellationRequested
                    ? JobFailures.Simple(job, FailureKind.Cancelled, "cancelled by CancelWorkflow", completed, retryable: false)
                    : JobFailures.Simple(job, FailureKind.Timeout, $"deadline {job.Deadline:O} passed", completed, retryable: false);
                await FailAsync(context, failure).ConfigureAwait(false);
                return (null, modelLoadMs, ModelWarmth.NoModels);
            }
            catch (NodeExecutionException e) when (loadFailure is { } failed)
            {
                // A model failed to load: another worker may load it (the job is handed back), else the node error answers.
                if (await RouteAsync(context, await fleet.AfterLoadFailureAsync(context.ModelSet, context.Delivery, failed.Model, failed.Error).ConfigureAwait(false), e).ConfigureAwait(false))
                {
                    await FailAsync(context, JobFailures.FromNodeError(job, e)).ConfigureAwait(false);
                }

                return (null, modelLoadMs, ModelWarmth.NoModels);
            }
            catch (NodeExecutionException e)
            {
                await FailAsync(context, JobFailures.FromNodeError(job, e)).ConfigureAwait(false);
                return (null, modelLoadMs, ModelWarmth.NoModels);
            }
            finally
            {
                models.Loaded -= OnModelLoaded;
                models.LoadFailed -= OnModelLoadFailed;
            }
        }
    }

    /// <summary>Delivers the outputs, stores the result (cache and idempotency record, the latter fenced by the lease), then answers.</summary>
    private async Task StoreAndCompleteAsync(JobContext context, JobPlan plan, ExecutionResult result, double modelLoadMs, ModelWarmth warmth)
    {
        var job = context.Job;
        var store = Stopwatch.StartNew();
        var delivery = plan.Delivery!;
        var outputs = delivery.Encode(result.Outputs);
        var (delivered, cached) = await deliverer.DeliverAsync(outputs, delivery.Target is null ? context.MaxInline : long.MaxValue, storeInCache: plan.Key is not null, context.Token).ConfigureAwait(false);
        if (await UploadAsync(context, delivery, delivered).ConfigureAwait(false) is not { } files)
        {
            return;
        }

        var nodes = result.Timings.Select(t => new Contracts.NodeTiming(t.NodeId, t.ClassType, t.Milliseconds, t.CacheHit)).ToList();
        var jobTimings = new JobTimings(job.JobId, context.QueueWaitMs, plan.CacheLookupMs, nodes, modelLoadMs, result.TotalMilliseconds, 0, 0,
            busOptions.Value.EffectiveWorkerId, context.ModelSet?.Key, warmth, context.Delivery.Route,
            warmth == ModelWarmth.Loaded ? fleet.SwitchFallbackFor(context.ModelSet) : null);
        var answer = new WorkflowCompleted(job.JobId, job.BatchId, files, FromCache: false, jobTimings);
        AnswerCommit commit;
        using (WorkerActivities.Source.StartActivity(WorkerActivities.CacheStore))
        {
            // The content-addressed cache entry is written even by a fenced run: equal keys hold equal results.
            var putResult = cached is not null && plan.Key is not null ? results.PutResultAsync(plan.Key, cached, context.Token) : Task.CompletedTask;
            var storeAnswer = StoreAnswerAsync(context, answer);
            await Task.WhenAll(putResult, storeAnswer).ConfigureAwait(false);
            commit = await storeAnswer.ConfigureAwait(false);
        }

        if (!await SettleAsync(context, commit).ConfigureAwait(false))
        {
            return;
        }

        answer = answer with { Timings = jobTimings with { OutputStoreMs = store.Elapsed.TotalMilliseconds, TotalMs = context.Total.Elapsed.TotalMilliseconds } };
        logger.LogInformation("Job {JobId} completed: {OutputCount} output(s), execute {ExecuteMs:0.0} ms, total {TotalMs:0.0} ms",
            job.JobId, files.Count, result.TotalMilliseconds, answer.Timings.TotalMs);
        await CompleteAsync(context, answer).ConfigureAwait(false);
    }

    /// <summary>The files as the job's delivery wants them: unchanged, or written to its bucket; null when the upload failed (answered here).</summary>
    private async Task<IReadOnlyList<OutputFile>?> UploadAsync(JobContext context, DeliveryPlan delivery, IReadOnlyList<OutputFile> files)
    {
        if (delivery.Target is not { } target)
        {
            return files;
        }

        try
        {
            using (WorkerActivities.Source.StartActivity(WorkerActivities.Upload))
            {
                return await uploader.UploadAsync(target, context.Job.JobId, files, context.Token).ConfigureAwait(false);
            }
        }
        catch (OutputDeliveryException e)
        {
            await FailAsync(context, JobFailures.Simple(context.Job, FailureKind.OutputDeliveryFailed, e.Message, [], retryable: false)).ConfigureAwait(false);
            return null;
        }
    }

    private async Task CompleteAsync(JobContext context, WorkflowCompleted completed)
    {
        using (WorkerActivities.Source.StartActivity(WorkerActivities.PublishResult))
        {
            await context.Publisher.PublishResultAsync(completed, context.Token).ConfigureAwait(false);
            await context.Publisher.PublishResultAsync(completed.Timings, context.Token).ConfigureAwait(false);
            await QueueWebhookAsync(context, WebhookDeliveries.For(context.Job, completed)).ConfigureAwait(false);
        }

        metrics.JobAnswered(completed.FromCache ? "cached" : "completed", context.Total.Elapsed.TotalMilliseconds);
    }

    /// <summary>
    /// Queues the job's webhook delivery beside its result: it leaves only when the job's message is
    /// acknowledged, and is posted by a webhook consumer, never by the job consumer (a slow receiver
    /// never holds up the next job). A replayed answer (AnswerStoredAsync) queues none: the first run did.
    /// </summary>
    private async Task QueueWebhookAsync(JobContext context, DeliverWebhook? delivery)
    {
        if (delivery is not null)
        {
            await context.Publisher.SendResultAsync(webhooks.QueueAddress, delivery, context.Token).ConfigureAwait(false);
        }
    }

    /// <summary>A duplicate JobId answered with the first run's stored result.</summary>
    private async Task AnswerStoredAsync(JobContext context, WorkflowCompleted stored)
    {
        using (WorkerActivities.Source.StartActivity(WorkerActivities.PublishResult))
        {
            await context.Publisher.PublishResultAsync(stored, context.Token).ConfigureAwait(false);
        }

        metrics.JobAnswered("replayed", context.Total.Elapsed.TotalMilliseconds);
    }

    /// <summary>Stores the job's answer: fenced by the run's lease, or plainly without a lease store (last writer wins).</summary>
    private async Task<AnswerCommit> StoreAnswerAsync(JobContext context, WorkflowCompleted answer)
    {
        if (context.Lease is { } lease)
        {
            return await lease.CommitAsync(answer, context.Token).ConfigureAwait(false);
        }

        await results.PutCompletedJobAsync(answer, context.Token).ConfigureAwait(false);
        return new AnswerCommit(AnswerCommitKind.Stored);
    }

    /// <summary>True when this run answers with its own result; otherwise the job was settled here (fenced, or another run's stored answer).</summary>
    private async Task<bool> SettleAsync(JobContext context, AnswerCommit commit)
    {
        switch (commit.Kind)
        {
            case AnswerCommitKind.AlreadyAnswered:
                await EndFencedAsync(context, null, commit.StoredAnswer is { } bytes ? ResultStore.ReadCompletedJob(bytes) : null).ConfigureAwait(false);
                return false;
            case AnswerCommitKind.Fenced:
                await EndFencedAsync(context, commit.Holder, null).ConfigureAwait(false);
                return false;
            default:
                return true;
        }
    }

    private async Task EndFencedAsync(JobContext context, LeaseRenewal fencedBy)
    {
        var stored = fencedBy.Kind == LeaseRenewalKind.Answered ? await results.GetCompletedJobAsync(context.Job.JobId, context.Token).ConfigureAwait(false) : null;
        await EndFencedAsync(context, fencedBy.Holder, stored).ConfigureAwait(false);
    }

    /// <summary>
    /// This run's lease was taken over while it ran (this worker stalled past Jobs:LeaseTtl): it
    /// answers nothing of its own, or the answer another run stored first. Its message is acked.
    /// </summary>
    private async Task EndFencedAsync(JobContext context, string? holder, WorkflowCompleted? stored)
    {
        var jobId = context.Job.JobId;
        if (stored is not null)
        {
            logger.LogWarning("Job {JobId} was answered by another run while run {LeaseOwner} lost its lease: answering that stored result instead of its own",
                jobId, context.Lease?.Owner);
            await AnswerStoredAsync(context, stored).ConfigureAwait(false);
            return;
        }

        logger.LogWarning("Job {JobId} fenced: run {LeaseOwner} lost its lease to {LeaseHolder} (this worker stalled past Jobs:LeaseTtl); it stores and publishes no answer, the lease holder answers",
            jobId, context.Lease?.Owner, holder ?? "a run that answered");
        Activity.Current?.SetStatus(ActivityStatusCode.Error, "fenced: lease taken over");
        metrics.JobAnswered("fenced", context.Total.Elapsed.TotalMilliseconds);
    }

    private async Task FailAsync(JobContext context, WorkflowFailed failure)
    {
        // Failures are not stored, but a fenced run publishes none either: the run holding the lease answers.
        if (context.Lease is { } lease && await lease.CheckAsync(context.Token).ConfigureAwait(false) is { IsFenced: true } fencedBy)
        {
            await EndFencedAsync(context, fencedBy).ConfigureAwait(false);
            return;
        }

        logger.LogWarning("Job {JobId} failed ({Kind}): {Reason}", context.Job.JobId, failure.Kind, failure.Message);
        Activity.Current?.SetStatus(ActivityStatusCode.Error, $"{failure.Kind}: {failure.Message}");
        using (WorkerActivities.Source.StartActivity(WorkerActivities.PublishResult))
        {
            await context.Publisher.PublishResultAsync(failure, context.Token).ConfigureAwait(false);
            await QueueWebhookAsync(context, WebhookDeliveries.For(context.Job, failure)).ConfigureAwait(false);
        }

        metrics.JobAnswered($"failed:{failure.Kind}", context.Total.Elapsed.TotalMilliseconds);
    }

    /// <summary>What every step of one job needs.</summary>
    private sealed record JobContext(RunWorkflow Job, IJobPublisher Publisher, Stopwatch Total, double QueueWaitMs, long MaxInline, CancellationToken Token,
        HeldJobLease? Lease = null, JobDelivery? Delivery = null, ModelSet? ModelSet = null)
    {
        public JobDelivery Delivery { get; init; } = Delivery ?? JobDelivery.Shared;
    }

    // ModelFiles: shared locks on the job's downloaded models, held until the job ends (ReleaseWhenPlanned).
    private sealed record JobPlan(ValidationReport Report, ValidatedWorkflow? Workflow, string? Key, IReadOnlyList<OutputFile>? CachedFiles, double CacheLookupMs,
        DeliveryPlan? Delivery = null, string? DeliveryProblem = null, IDisposable? ModelFiles = null);
}
