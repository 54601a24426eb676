using System.Diagnostics;
using ComfySnap.Contracts;
using ComfySnap.Tests.Engine.Support;
using ComfySnap.TestSupport;
using Xunit.Abstractions;

namespace ComfySnap.Tests.Cluster;

/// <summary>A worker given all three broker nodes keeps answering when the node it is connected to dies.</summary>
[Trait("Category", "Integration")]
[Collection(ClusterCollection.Name)]
public sealed class BrokerNodeFailoverTests(ClusterFixture fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task A_worker_on_three_nodes_answers_a_job_after_its_node_is_killed()
    {
        var cluster = fixture.Cluster;
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await using var worker = await RabbitWorkerHarness.StartAsync(redis: cluster.RedisConfiguration, broker: cluster);
        var workflow = EngineHarness.Workflow("image-ops.json");
        await worker.SendAsync(new RunWorkflow("before", workflow));
        var before = Assert.IsType<WorkflowCompleted>(await worker.Events.ResultAsync("before", Timeout));

        // The worker took node 1 (first in its list), the test's client node 3; the job queue is a
        // quorum queue with a member on every node.
        Assert.Contains(1, await cluster.NodesWithConnectionsAsync(3, cts.Token));
        var members = await cluster.RabbitMqCtlAsync(3, ["list_queues", "name", "type", "members", "--no-table-headers"], cts.Token);
        var queueLine = members.Split('\n').Single(l => l.StartsWith(worker.QueueName + "\t", StringComparison.Ordinal));
        Assert.Contains("quorum", queueLine, StringComparison.Ordinal);
        Assert.All(Enumerable.Range(1, 3), n => Assert.Contains(cluster.NodeName(n), queueLine, StringComparison.Ordinal));

        try
        {
            var killed = Stopwatch.StartNew();
            await cluster.KillRabbitMqNodeAsync(1, cts.Token);
            await worker.SendAsync(new RunWorkflow("after", workflow, CachePolicy: CachePolicy.Bypass));
            var after = Assert.IsType<WorkflowCompleted>(await worker.Events.ResultAsync("after", Timeout));
            output.WriteLine($"answered {killed.ElapsedMilliseconds} ms after SIGKILL of the worker's broker node");

            Assert.Equal(before.Outputs.Select(o => o.Sha256), after.Outputs.Select(o => o.Sha256));
            var connected = await cluster.NodesWithConnectionsAsync(3, cts.Token);
            Assert.DoesNotContain(1, connected);
            Assert.Contains(2, connected); // the worker moved to the next node in its list
        }
        finally
        {
            await cluster.StartRabbitMqNodeAsync(1, cts.Token);
        }
    }
}
