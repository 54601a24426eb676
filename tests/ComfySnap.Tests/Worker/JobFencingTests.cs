using System.Diagnostics;
using ComfySnap.Contracts;
using ComfySnap.Snapshots;
using ComfySnap.Tests.Worker.Support;
using ComfySnap.TestSupport;
using ComfySnap.Worker.Caching;
using Serilog.Events;
using StackExchange.Redis;

namespace ComfySnap.Tests.Worker;

/// <summary>
/// Fencing: a run whose lease another run took over (this worker stalled past Jobs:LeaseTtl)
/// stores and publishes no answer of its own and stops; a stall nobody took over still answers.
/// </summary>
[Trait("Category", "Integration")]
public sealed class JobFencingTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(240); // child workers on a loaded machine (not the claim under test)

    [Fact]
    public async Task Worker_frozen_past_its_lease_while_another_takes_the_job_over_is_fenced_and_goes_on_consuming()
    {
        // 3 s: short enough for a test, long enough that the running worker keeps its own lease on a loaded machine.
        await using var harness = await RabbitWorkerHarness.StartAsync(inProcessWorker: false, settings: new Dictionary<string, string?> { ["Jobs:LeaseTtl"] = "00:00:03" });
        var ids = new[] { $"fence-a-{Guid.NewGuid():N}"[..20], $"fence-b-{Guid.NewGuid():N}"[..20] };
        var workers = await Task.WhenAll(ids.Select(id => WorkerProcess.StartAsync(harness.Settings, id, Long)));
        try
        {
            var jobId = $"fenced-{Guid.NewGuid():N}";
            var job = new RunWorkflow(jobId, SlowWorkflow.Create(blurs: 8, side: 1024), CachePolicy: CachePolicy.Bypass);
            await harness.SendAsync(job);
            var (first, _) = await harness.Events.WaitAsync<WorkflowAccepted>(a => a.JobId == jobId, Long);
            var frozen = workers[Array.IndexOf(ids, first.WorkerId)];
            var other = workers[1 - Array.IndexOf(ids, first.WorkerId)];

            frozen.Signal(PosixSignals.SigStop);
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(4.5)); // past the 3 s lease: it expires
                await harness.SendAsync(job); // the frozen worker's prefetch is full: the other takes this copy
                await harness.Events.WaitAsync<WorkflowAccepted>(a => a.JobId == jobId && a.WorkerId != first.WorkerId, Long);
            }
            finally
            {
                frozen.Signal(PosixSignals.SigCont);
            }

            await WaitUntilAsync(() => harness.Events.All<WorkflowCompleted>().Any(c => c.JobId == jobId), Long, other);
            await WaitUntilAsync(() => FencedLine(frozen, jobId) is not null, Long, frozen);
            await Task.Delay(2000); // a second answer, if any, would arrive now

            Assert.Single(harness.Events.All<WorkflowCompleted>(), c => c.JobId == jobId);
            Assert.Single(harness.Events.All<JobTimings>(), t => t.JobId == jobId);
            Assert.DoesNotContain(harness.Events.All<WorkflowFailed>(), f => f.JobId == jobId);
            Assert.Contains(ids.Single(id => id != first.WorkerId), FencedLine(frozen, jobId)); // the holder it names
            Assert.DoesNotContain(other.Output, l => l.Contains(" fenced: run", StringComparison.Ordinal));

            // The fenced worker acked its copy and takes the next job (the other one is gone).
            other.Kill();
            var next = $"after-fence-{Guid.NewGuid():N}";
            await harness.SendAsync(new RunWorkflow(next, SlowWorkflow.Create(blurs: 1, side: 64), CachePolicy: CachePolicy.Bypass));
            Assert.IsType<WorkflowCompleted>(await harness.Events.ResultAsync(next, Long));
            Assert.Single(harness.Events.All<WorkflowAccepted>(), a => a.JobId == next && a.WorkerId == first.WorkerId);
        }
        finally
        {
            foreach (var worker in workers)
            {
                await worker.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Worker_frozen_past_its_lease_with_nobody_taking_over_retakes_it_and_answers_once()
    {
        await using var harness = await RabbitWorkerHarness.StartAsync(inProcessWorker: false, settings: new Dictionary<string, string?> { ["Jobs:LeaseTtl"] = "00:00:02" });
        await using var worker = await WorkerProcess.StartAsync(harness.Settings, $"retake-{Guid.NewGuid():N}"[..20], Long);
        var jobId = $"retaken-{Guid.NewGuid():N}";
        await harness.SendAsync(new RunWorkflow(jobId, SlowWorkflow.Create(blurs: 4, side: 1536), CachePolicy: CachePolicy.Bypass));
        await harness.Events.WaitAsync<WorkflowAccepted>(a => a.JobId == jobId, Long);

        worker.Signal(PosixSignals.SigStop);
        await Task.Delay(TimeSpan.FromSeconds(3));
        worker.Signal(PosixSignals.SigCont);

        var (answer, _) = await harness.Events.WaitAsync<WorkflowCompleted>(c => c.JobId == jobId, Long);
        await Task.Delay(1000);
        Assert.False(answer.FromCache);
        Assert.Single(harness.Events.All<WorkflowCompleted>(), c => c.JobId == jobId);
        Assert.Contains(worker.Output, l => l.Contains(jobId, StringComparison.Ordinal) && l.Contains("re-took its lease", StringComparison.Ordinal));
        Assert.DoesNotContain(worker.Output, l => l.Contains(" fenced: run", StringComparison.Ordinal));
        await using var redis = await ConnectionMultiplexer.ConnectAsync(TestEnvironment.RedisEndpoint);
        Assert.Equal(answer.Outputs.Select(o => o.Sha256), StoredAnswer(await redis.GetDatabase().StringGetAsync(AnswerKey(harness, jobId)))!.Outputs.Select(o => o.Sha256));
    }

    [Fact]
    public async Task Run_whose_lease_is_taken_over_stops_early_and_answers_nothing()
    {
        await using var harness = await RabbitWorkerHarness.StartAsync(settings: new Dictionary<string, string?> { ["Jobs:LeaseTtl"] = "00:00:01" });
        var jobId = $"stopped-{Guid.NewGuid():N}";
        await harness.SendAsync(new RunWorkflow(jobId, SlowWorkflow.Create(blurs: 40, side: 1024), CachePolicy: CachePolicy.Bypass));
        await harness.Events.WaitAsync<WorkflowAccepted>(a => a.JobId == jobId, Long);
        await using var redis = await ConnectionMultiplexer.ConnectAsync(TestEnvironment.RedisEndpoint);
        await redis.GetDatabase().StringSetAsync(LeaseKey(harness, jobId), "other-run/1", TimeSpan.FromSeconds(60));

        await WaitUntilAsync(() => Fenced(harness, jobId) is not null, Long);
        await Task.Delay(1000);

        Assert.Equal("other-run/1", Fenced(harness, jobId)!.Properties["LeaseHolder"].ToString().Trim('"'));
        var stopped = Assert.Single(harness.Logs.Events, e => e.MessageTemplate.Text.Contains("another run took it over", StringComparison.Ordinal) && IsJob(e, jobId));
        Assert.True(int.Parse(stopped.Properties["CompletedNodes"].ToString()) < int.Parse(stopped.Properties["NodeCount"].ToString()), "the run was not stopped early");
        Assert.DoesNotContain(harness.Events.All<WorkflowCompleted>(), c => c.JobId == jobId);
        Assert.DoesNotContain(harness.Events.All<WorkflowFailed>(), f => f.JobId == jobId);
        Assert.False(await redis.GetDatabase().KeyExistsAsync(AnswerKey(harness, jobId)));
        Assert.Equal("other-run/1", (string?)await redis.GetDatabase().StringGetAsync(LeaseKey(harness, jobId)));

        var next = $"after-stop-{Guid.NewGuid():N}";
        await harness.SendAsync(new RunWorkflow(next, SlowWorkflow.Create(blurs: 1, side: 64), CachePolicy: CachePolicy.Bypass));
        Assert.IsType<WorkflowCompleted>(await harness.Events.ResultAsync(next, Long));
    }

    [Fact]
    public async Task Run_whose_lease_is_held_by_another_when_it_answers_stores_and_publishes_nothing()
    {
        // A renewal only every 20 s: the run reaches its answer before noticing, so the fenced store refuses it.
        await using var harness = await RabbitWorkerHarness.StartAsync(settings: new Dictionary<string, string?> { ["Jobs:LeaseTtl"] = "00:01:00" });
        var jobId = $"fenced-store-{Guid.NewGuid():N}";
        await harness.SendAsync(new RunWorkflow(jobId, SlowWorkflow.Create(blurs: 3, side: 1024), CachePolicy: CachePolicy.Bypass));
        await harness.Events.WaitAsync<WorkflowAccepted>(a => a.JobId == jobId, Long);
        await using var redis = await ConnectionMultiplexer.ConnectAsync(TestEnvironment.RedisEndpoint);
        await redis.GetDatabase().StringSetAsync(LeaseKey(harness, jobId), "other-run/2", TimeSpan.FromSeconds(60));

        await WaitUntilAsync(() => Fenced(harness, jobId) is not null, Long);
        await Task.Delay(1000);

        Assert.Equal("other-run/2", Fenced(harness, jobId)!.Properties["LeaseHolder"].ToString().Trim('"'));
        Assert.Single(harness.Logs.From("ComfySnap.Worker.Jobs.JobRunner", LogEventLevel.Warning), e => IsJob(e, jobId));
        Assert.DoesNotContain(harness.Events.All<WorkflowCompleted>(), c => c.JobId == jobId);
        Assert.DoesNotContain(harness.Events.All<JobTimings>(), t => t.JobId == jobId);
        Assert.DoesNotContain(harness.Events.All<WorkflowFailed>(), f => f.JobId == jobId);
        Assert.False(await redis.GetDatabase().KeyExistsAsync(AnswerKey(harness, jobId)));
    }

    [Fact]
    public async Task Run_whose_job_another_run_answered_meanwhile_publishes_that_stored_answer()
    {
        await using var harness = await RabbitWorkerHarness.StartAsync(settings: new Dictionary<string, string?> { ["Jobs:LeaseTtl"] = "00:01:00" });
        var jobId = $"answered-{Guid.NewGuid():N}";
        var first = new WorkflowCompleted(jobId, null, [new OutputFile("9", "other-run.png", "image/png", 1, new string('a', 64), [1], null, null)], FromCache: false,
            new JobTimings(jobId, 0, 0, [], 0, 0, 0, 0));
        await using var redis = await ConnectionMultiplexer.ConnectAsync(TestEnvironment.RedisEndpoint);
        // Long enough (seconds) that the other run's answer is written while this run still renders:
        // with three blurs it once finished first.
        await harness.SendAsync(new RunWorkflow(jobId, SlowWorkflow.Create(blurs: 12, side: 1024), CachePolicy: CachePolicy.Bypass));
        await harness.Events.WaitAsync<WorkflowAccepted>(a => a.JobId == jobId, Long);
        await redis.GetDatabase().StringSetAsync(AnswerKey(harness, jobId), ResultStore.SerializeCompletedJob(first), TimeSpan.FromMinutes(5));

        var (answer, _) = await harness.Events.WaitAsync<WorkflowCompleted>(c => c.JobId == jobId, Long);
        await Task.Delay(1000);

        Assert.Equal("other-run.png", Assert.Single(answer.Outputs).FileName);
        Assert.Single(harness.Events.All<WorkflowCompleted>(), c => c.JobId == jobId);
        Assert.DoesNotContain(harness.Events.All<JobTimings>(), t => t.JobId == jobId); // its own run's timings are not the answer's
        Assert.Equal("other-run.png", StoredAnswer(await redis.GetDatabase().StringGetAsync(AnswerKey(harness, jobId)))!.Outputs.Single().FileName);
    }

    private static string LeaseKey(RabbitWorkerHarness harness, string jobId) => JobKeys.Lease(harness.Settings["Cache:KeyPrefix"]!, jobId);

    private static string AnswerKey(RabbitWorkerHarness harness, string jobId) => JobKeys.Answer(harness.Settings["Cache:KeyPrefix"]!, jobId);

    private static WorkflowCompleted? StoredAnswer(RedisValue value) => value.IsNull ? null : ResultStore.ReadCompletedJob((byte[])value!);

    private static bool IsJob(LogEvent e, string jobId) => e.Properties.TryGetValue("JobId", out var id) && id.ToString().Trim('"') == jobId;

    private static LogEvent? Fenced(RabbitWorkerHarness harness, string jobId) =>
        harness.Logs.Events.FirstOrDefault(e => e.MessageTemplate.Text.Contains("fenced:", StringComparison.Ordinal) && IsJob(e, jobId));

    private static string? FencedLine(WorkerProcess worker, string jobId) =>
        worker.Output.FirstOrDefault(l => l.Contains($"Job {jobId} fenced:", StringComparison.Ordinal));

    private static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, WorkerProcess? worker = null)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < timeout, $"condition not met in time{(worker is null ? "" : $"; the worker's last lines:{Environment.NewLine}{worker.Tail()}")}");
            await Task.Delay(100);
        }
    }
}
