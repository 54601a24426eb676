using ComfySnap.Contracts;
using ComfySnap.Tests.Worker.Support;

namespace ComfySnap.Tests.Worker;

/// <summary>A worker killed mid-job: the job is redelivered to another worker and completes exactly once.</summary>
[Trait("Category", "Integration")]
public sealed class RedeliveryTests
{
    // Unique per run: events reach every listener on the shared broker, other suites' too.
    private readonly string _redelivered = $"redelivered-{Guid.NewGuid():N}";

    [Fact]
    public async Task Killed_worker_hands_its_job_to_the_next_one_which_completes_it_once()
    {
        // The dead worker's job lease must expire before the next worker takes the job over.
        await using var harness = await RabbitWorkerHarness.StartAsync(settings: new Dictionary<string, string?> { ["Jobs:LeaseTtl"] = "00:00:04" }, inProcessWorker: false);
        using (var first = await WorkerProcess.StartAsync(harness.Settings, $"{harness.Settings["Bus:WorkerId"]}-child-1"))
        {
            await harness.SendAsync(new RunWorkflow(_redelivered, SlowWorkflow.Create(blurs: 4, side: 1024), CachePolicy: CachePolicy.Bypass));
            await harness.Events.WaitAsync<WorkflowProgress>(p => p.JobId == _redelivered && p.NodeIndex >= 2, TimeSpan.FromSeconds(60));
            first.Kill();
        }

        Assert.DoesNotContain(harness.Events.All<WorkflowCompleted>(), c => c.JobId == _redelivered);
        using var second = await WorkerProcess.StartAsync(harness.Settings, $"{harness.Settings["Bus:WorkerId"]}-child-2");
        try
        {
            // Generous: the claim is "completes once", not how fast; a loaded CI machine runs the whole job again.
            await harness.Events.WaitAsync<WorkflowCompleted>(c => c.JobId == _redelivered, TimeSpan.FromSeconds(240));
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"job {_redelivered} not completed by the second worker; its last lines:{Environment.NewLine}{second.Tail()}", e);
        }

        await Task.Delay(1500);
        Assert.Single(harness.Events.All<WorkflowCompleted>(), c => c.JobId == _redelivered);
        Assert.DoesNotContain(harness.Events.All<WorkflowFailed>(), f => f.JobId == _redelivered);
    }
}
