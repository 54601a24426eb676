using ComfySnap.Contracts;
using ComfySnap.Tests.Worker.Support;

namespace ComfySnap.Tests.Worker;

/// <summary>A worker killed mid-job: the job is redelivered to another worker and completes exactly once.</summary>
public sealed class RedeliveryTests
{
    [Fact]
    public async Task Killed_worker_hands_its_job_to_the_next_one_which_completes_it_once()
    {
        // Unique per run: other checkouts' suites share the broker's event exchanges and Redis.
        var jobId = $"redelivered-{Guid.NewGuid():N}";
        // The dead worker's job lease must expire before the next worker takes the job over.
        await using var harness = await RabbitWorkerHarness.StartAsync(settings: new Dictionary<string, string?> { ["Jobs:LeaseTtl"] = "00:00:04" }, inProcessWorker: false);
        using (var first = await WorkerProcess.StartAsync(harness.Settings, "child-1"))
        {
            await harness.SendAsync(new RunWorkflow(jobId, SlowWorkflow.Create(blurs: 4), CachePolicy: CachePolicy.Bypass));
            await harness.Events.WaitAsync<WorkflowProgress>(p => p.JobId == jobId && p.NodeIndex >= 2, TimeSpan.FromSeconds(60));
            first.Kill();
        }

        Assert.DoesNotContain(harness.Events.All<WorkflowCompleted>(), c => c.JobId == jobId);
        using var second = await WorkerProcess.StartAsync(harness.Settings, "child-2");
        await harness.Events.WaitAsync<WorkflowCompleted>(c => c.JobId == jobId, TimeSpan.FromSeconds(120));
        await Task.Delay(1500);
        Assert.Single(harness.Events.All<WorkflowCompleted>(), c => c.JobId == jobId);
        Assert.DoesNotContain(harness.Events.All<WorkflowFailed>(), f => f.JobId == jobId);
    }
}
