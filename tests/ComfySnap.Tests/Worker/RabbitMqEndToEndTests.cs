using System.Security.Cryptography;
using System.Text.Json.Nodes;
using ComfySnap.Contracts;
using ComfySnap.Tests.Engine.Support;
using ComfySnap.Tests.Worker.Support;

namespace ComfySnap.Tests.Worker;

/// <summary>The queue worker end to end over the real RabbitMQ and Redis.</summary>
[Trait("Category", "Integration")]
public sealed class RabbitMqEndToEndTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task ImageOps_completes_with_verified_outputs_then_an_equivalent_graph_is_a_cache_hit()
    {
        await using var worker = await RabbitWorkerHarness.StartAsync();
        Assert.Equal(BootMode.ColdBoot, worker.Booted!.Mode);
        Assert.Contains(worker.Booted.Phases, p => p.Name == "bus connect");
        await worker.Events.WaitAsync<WorkerBooted>(b => b.WorkerId == worker.Booted.WorkerId, Timeout);

        var workflow = EngineHarness.Workflow("image-ops.json");
        await worker.SendAsync(new RunWorkflow("job-a", workflow));
        var first = Assert.IsType<WorkflowCompleted>(await worker.Events.ResultAsync("job-a", Timeout));
        Assert.False(first.FromCache);
        Assert.Equal(2, first.Outputs.Count);
        foreach (var o in first.Outputs)
        {
            Assert.NotNull(o.InlineBytes);
            Assert.Equal(o.Size, o.InlineBytes!.Length);
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(o.InlineBytes)), o.Sha256);
            Assert.Equal([0x89, 0x50, 0x4E, 0x47], o.InlineBytes[..4]);
            Assert.Equal("image/png", o.ContentType);
        }

        Assert.Equal(5, first.Timings.Nodes.Count);
        await worker.Events.WaitAsync<WorkflowAccepted>(a => a.JobId == "job-a", Timeout);
        await worker.Events.WaitAsync<JobTimings>(t => t.JobId == "job-a", Timeout);
        Assert.Contains(worker.Events.All<WorkflowProgress>(), p => p.JobId == "job-a");

        // Same graph, other node ids and key order: answered from the cache, engine not run.
        await worker.SendAsync(new RunWorkflow("job-b", Renumbered(workflow)));
        var second = Assert.IsType<WorkflowCompleted>(await worker.Events.ResultAsync("job-b", Timeout));
        Assert.True(second.FromCache);
        Assert.Empty(second.Timings.Nodes);
        Assert.Equal(first.Outputs.Select(o => o.Sha256), second.Outputs.Select(o => o.Sha256));
        Assert.Equal(first.Outputs[0].InlineBytes, second.Outputs[0].InlineBytes);
        Assert.Equal(1, worker.Logs.Executions("job-a"));
        Assert.Equal(0, worker.Logs.Executions("job-b"));
    }

    [Fact]
    public async Task Invalid_workflow_fails_with_node_errors_and_the_worker_takes_the_next_job()
    {
        await using var worker = await RabbitWorkerHarness.StartAsync();
        await worker.SendAsync(new RunWorkflow("bad", EngineHarness.Workflow("invalid/bad-inputs.json")));
        await worker.SendAsync(new RunWorkflow("good", EngineHarness.Workflow("image-ops.json"), CachePolicy: CachePolicy.Bypass));

        var failed = Assert.IsType<WorkflowFailed>(await worker.Events.ResultAsync("bad", Timeout));
        Assert.Equal(FailureKind.InvalidWorkflow, failed.Kind);
        Assert.False(failed.Retryable);
        Assert.NotEmpty(failed.NodeErrors);
        Assert.All(failed.NodeErrors.Values, n => Assert.NotEmpty(n.Errors));
        Assert.IsType<WorkflowCompleted>(await worker.Events.ResultAsync("good", Timeout));
        Assert.Contains(worker.Logs.Events, e => e.Level == Serilog.Events.LogEventLevel.Warning
            && e.Properties.TryGetValue("JobId", out var id) && id.ToString() == "\"bad\"");
    }

    [Fact]
    public async Task Same_job_id_twice_runs_once_and_is_answered_twice()
    {
        await using var worker = await RabbitWorkerHarness.StartAsync();
        var job = new RunWorkflow("twice", EngineHarness.Workflow("image-ops.json"), CachePolicy: CachePolicy.Bypass);
        await worker.SendAsync(job);
        await worker.SendAsync(job);

        await worker.Events.WaitAsync<WorkflowCompleted>(c => c.JobId == "twice", Timeout);
        var deadline = DateTime.UtcNow + Timeout;
        while (worker.Events.All<WorkflowCompleted>().Count(c => c.JobId == "twice") < 2 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        var answers = worker.Events.All<WorkflowCompleted>().Where(c => c.JobId == "twice").ToList();
        Assert.Equal(2, answers.Count);
        Assert.Equal(answers[0].Outputs.Select(o => o.Sha256), answers[1].Outputs.Select(o => o.Sha256));
        Assert.Equal(1, worker.Logs.Executions("twice"));
    }

    [Fact]
    public async Task With_redis_unreachable_jobs_complete_and_one_warning_is_logged()
    {
        // Redis goes away after the boot (one that is unreachable at the boot stops it: FirstContactTests).
        await using var redis = await PrivateRedis.StartAsync(CancellationToken.None);
        await using var worker = await RabbitWorkerHarness.StartAsync(redis: redis.Endpoint);
        await redis.StopAsync(CancellationToken.None);
        var workflow = EngineHarness.Workflow("image-ops.json");
        for (var i = 0; i < 3; i++)
        {
            await worker.SendAsync(new RunWorkflow($"no-redis-{i}", workflow));
            Assert.IsType<WorkflowCompleted>(await worker.Events.ResultAsync($"no-redis-{i}", Timeout));
        }

        // Only this test's jobs: other tests' workers publish on the same broker, and their events reach this client too.
        Assert.All(worker.Events.All<WorkflowCompleted>().Where(c => c.JobId.StartsWith("no-redis-", StringComparison.Ordinal)), c => Assert.False(c.FromCache));
        Assert.Single(worker.Logs.From("ComfySnap.Worker.Caching.RedisOutputCache", Serilog.Events.LogEventLevel.Warning));
    }

    [Fact]
    public async Task Large_outputs_travel_as_a_redis_key()
    {
        await using var worker = await RabbitWorkerHarness.StartAsync();
        await worker.SendAsync(new RunWorkflow("big", EngineHarness.Workflow("image-ops.json"), Delivery: new OutputDelivery(MaxInlineBytes: 100)));
        var done = Assert.IsType<WorkflowCompleted>(await worker.Events.ResultAsync("big", Timeout));
        var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(TestEnvironment.RedisEndpoint);
        await using (redis)
        {
            foreach (var o in done.Outputs)
            {
                Assert.Null(o.InlineBytes);
                Assert.NotNull(o.ExpiresAt);
                byte[]? bytes = await redis.GetDatabase().StringGetAsync(o.RedisKey!);
                Assert.Equal(o.Sha256, Convert.ToHexStringLower(SHA256.HashData(bytes!)));
            }
        }
    }

    /// <summary>Renames every node id (n -> "n0" + n) and reverses key order.</summary>
    internal static string Renumbered(string workflow)
    {
        var root = JsonNode.Parse(workflow)!.AsObject();
        var renamed = new JsonObject();
        foreach (var (id, node) in root.Reverse().ToList())
        {
            var copy = node!.DeepClone().AsObject();
            foreach (var (_, value) in copy["inputs"]!.AsObject())
            {
                if (value is JsonArray { Count: 2 } link && link[0]!.GetValueKind() == System.Text.Json.JsonValueKind.String)
                {
                    link[0] = "n0" + link[0]!.GetValue<string>();
                }
            }

            renamed["n0" + id] = copy;
        }

        return renamed.ToJsonString();
    }
}
