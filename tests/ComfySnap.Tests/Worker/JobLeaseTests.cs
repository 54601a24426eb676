using System.Diagnostics;
using System.Text.Json;
using ComfySnap.Contracts;
using ComfySnap.Tests.Support;
using ComfySnap.Tests.Worker.Support;
using ComfySnap.Worker.Caching;
using ComfySnap.Worker.Cli;
using Serilog.Events;
using StackExchange.Redis;

namespace ComfySnap.Tests.Worker;

/// <summary>One JobId, one run: the Redis lease makes a duplicate wait for the first run's answer.</summary>
[Trait("Category", "Integration")]
public sealed class JobLeaseTests
{
    [Fact]
    public async Task Same_JobId_sent_twice_at_once_to_two_workers_runs_once_and_both_are_answered_alike()
    {
        await using var harness = await RabbitWorkerHarness.StartAsync();
        using var child = await WorkerProcess.StartAsync(harness.Settings, $"{harness.Settings["Bus:WorkerId"]}-lease-child");
        var jobId = $"twice-{Guid.NewGuid():N}"; // events of every test worker reach every test client
        var job = new RunWorkflow(jobId, SlowWorkflow.Create(blurs: 3, side: 1536), CachePolicy: CachePolicy.Bypass);

        // Each worker takes one copy (prefetch 1): both start at the same moment.
        await Task.WhenAll(harness.SendAsync(job), harness.SendAsync(job));
        await harness.Events.WaitAsync<WorkflowCompleted>(c => c.JobId == jobId, TimeSpan.FromSeconds(120));
        await WaitUntilAsync(() => harness.Events.All<WorkflowCompleted>().Count(c => c.JobId == jobId) >= 2, TimeSpan.FromSeconds(60));
        await Task.Delay(1000);

        var answers = harness.Events.All<WorkflowCompleted>().Where(c => c.JobId == jobId).ToList();
        Assert.Equal(2, answers.Count);
        Assert.Equal(JsonSerializer.Serialize(answers[0].Outputs), JsonSerializer.Serialize(answers[1].Outputs));
        Assert.Single(harness.Events.All<WorkflowAccepted>(), a => a.JobId == jobId);
        Assert.Single(harness.Events.All<JobTimings>(), t => t.JobId == jobId);
        Assert.DoesNotContain(harness.Events.All<WorkflowFailed>(), f => f.JobId == jobId);
        // The copies overlapped: this worker ran one while the child waited, or waited while the child ran.
        var waited = harness.Logs.Events.Any(e => e.MessageTemplate.Text.Contains("waiting for its answer", StringComparison.Ordinal)
            && e.Properties.TryGetValue("JobId", out var id) && id.ToString().Trim('"') == jobId);
        Assert.True(harness.Logs.Executions(jobId) == 1 ^ waited, $"executions here {harness.Logs.Executions(jobId)}, waited here {waited}");
    }

    [Fact]
    public async Task A_job_answered_from_the_cache_is_answered_alike_when_sent_again_without_running_again()
    {
        await using var harness = await RabbitWorkerHarness.StartAsync();
        var workflow = SlowWorkflow.Create(blurs: 1, side: 32);
        var warm = $"warm-{Guid.NewGuid():N}";
        await harness.SendAsync(new RunWorkflow(warm, workflow));
        await harness.Events.WaitAsync<WorkflowCompleted>(c => c.JobId == warm, TimeSpan.FromSeconds(60));

        var jobId = $"cached-twice-{Guid.NewGuid():N}";
        await harness.SendAsync(new RunWorkflow(jobId, workflow));
        var (first, _) = await harness.Events.WaitAsync<WorkflowCompleted>(c => c.JobId == jobId, TimeSpan.FromSeconds(60));
        await harness.SendAsync(new RunWorkflow(jobId, workflow));
        await harness.Events.WaitAsync<WorkflowCompleted>(c => c.JobId == jobId && !ReferenceEquals(c, first), TimeSpan.FromSeconds(60));

        Assert.True(first.FromCache);
        Assert.All(harness.Events.All<WorkflowCompleted>().Where(c => c.JobId == jobId), c => Assert.Equal(first.Outputs.Select(o => o.Sha256), c.Outputs.Select(o => o.Sha256)));
        // The second delivery answered the stored answer: no second WorkflowAccepted (no second run).
        Assert.Single(harness.Events.All<WorkflowAccepted>(), a => a.JobId == jobId);
    }

    [Fact]
    public async Task Lease_left_by_a_dead_worker_is_taken_over_once_it_expires()
    {
        await using var harness = await RabbitWorkerHarness.StartAsync();
        var jobId = $"orphan-{Guid.NewGuid():N}";
        await using (var redis = await ConnectionMultiplexer.ConnectAsync(TestEnvironment.RedisEndpoint))
        {
            Assert.True(await redis.GetDatabase().StringSetAsync(JobKeys.Lease(harness.Settings["Cache:KeyPrefix"]!, jobId), "dead-worker/0", TimeSpan.FromSeconds(3)));
        }

        var sent = Stopwatch.StartNew();
        await harness.SendAsync(new RunWorkflow(jobId, SlowWorkflow.Create(blurs: 1, side: 64), CachePolicy: CachePolicy.Bypass));
        await harness.Events.WaitAsync<WorkflowCompleted>(c => c.JobId == jobId, TimeSpan.FromSeconds(60));

        Assert.True(sent.Elapsed >= TimeSpan.FromSeconds(2), $"answered after {sent.Elapsed}: the held lease was ignored");
        Assert.Equal(1, harness.Logs.Executions(jobId));
        Assert.Contains(harness.Logs.Events, e => e.MessageTemplate.Text.Contains("ended without an answer", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Shutdown_while_waiting_for_a_held_lease_hands_the_message_back()
    {
        await using var harness = await RabbitWorkerHarness.StartAsync(inProcessWorker: false, settings: new Dictionary<string, string?>
        {
            ["Bus:ConsumerStopTimeout"] = "00:00:01",
            ["Bus:StopTimeout"] = "00:00:10",
        });
        var jobId = $"held-{Guid.NewGuid():N}";
        var leaseKey = JobKeys.Lease(harness.Settings["Cache:KeyPrefix"]!, jobId);
        await using var redis = await ConnectionMultiplexer.ConnectAsync(TestEnvironment.RedisEndpoint);
        Assert.True(await redis.GetDatabase().StringSetAsync(leaseKey, "other-worker/0", TimeSpan.FromSeconds(60)));

        await RunServeAsync(harness, "held-1", async () =>
        {
            await harness.SendAsync(new RunWorkflow(jobId, SlowWorkflow.Create(blurs: 1, side: 64), CachePolicy: CachePolicy.Bypass));
            await Task.Delay(2000); // the worker waits for the lease holder's answer
        });

        Assert.DoesNotContain(harness.Events.All<WorkflowCompleted>(), c => c.JobId == jobId);
        Assert.DoesNotContain(harness.Events.All<WorkflowFailed>(), f => f.JobId == jobId);
        Assert.Equal("other-worker/0", (string?)await redis.GetDatabase().StringGetAsync(leaseKey));

        // The holder is gone (its lease deleted here): the handed-back message runs on the next worker.
        await redis.GetDatabase().KeyDeleteAsync(leaseKey);
        await RunServeAsync(harness, "held-2", () => harness.Events.WaitAsync<WorkflowCompleted>(c => c.JobId == jobId, TimeSpan.FromSeconds(60)));
        Assert.Single(harness.Events.All<WorkflowCompleted>(), c => c.JobId == jobId);
    }

    [Fact]
    public async Task While_Redis_is_down_jobs_run_without_a_lease_and_say_so_once()
    {
        // A Redis that goes away after the boot (one that is unreachable at the boot stops it).
        await using var redis = await PrivateRedis.StartAsync(CancellationToken.None);
        await using var harness = await RabbitWorkerHarness.StartAsync(redis: redis.Endpoint);
        await redis.StopAsync(CancellationToken.None);
        foreach (var id in new[] { $"unleased-{Guid.NewGuid():N}", $"unleased-{Guid.NewGuid():N}" })
        {
            await harness.SendAsync(new RunWorkflow(id, SlowWorkflow.Create(blurs: 1, side: 64), CachePolicy: CachePolicy.Bypass));
            Assert.IsType<WorkflowCompleted>(await harness.Events.ResultAsync(id, TimeSpan.FromSeconds(60)));
        }

        Assert.Single(harness.Logs.From("ComfySnap.Worker.Caching.RedisJobLeases", LogEventLevel.Warning));
    }

    // `serve` in this process until the action is done, then a graceful stop.
    private static async Task RunServeAsync(RabbitWorkerHarness harness, string workerId, Func<Task> whileServing)
    {
        workerId = $"{workerId}-{Guid.NewGuid():N}"[..16]; // WorkerBooted reaches every test client
        var settings = new Dictionary<string, string?>(harness.Settings) { ["Bus:WorkerId"] = workerId };
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var serve = Task.Run(() => ServeCommand.RunAsync(settings, stop.Token));
        try
        {
            await harness.Events.WaitAsync<WorkerBooted>(b => b.WorkerId == workerId, TimeSpan.FromSeconds(60));
            await whileServing();
        }
        finally
        {
            await stop.CancelAsync();
            await serve;
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < timeout, "condition not met in time");
            await Task.Delay(100);
        }
    }
}
