using ComfySnap.Contracts;
using ComfySnap.Tests.Worker.Support;

namespace ComfySnap.Tests.Worker;

/// <summary>
/// SIGTERM to a `serve` worker in the middle of a job (what a container runtime does on stop): the
/// job finishes if it can within Bus:ConsumerStopTimeout, else it goes back to the queue for the
/// next worker; either way it completes exactly once and the worker exits cleanly.
/// </summary>
[Trait("Category", "Integration")]
public sealed class GracefulStopTests
{
    // Unique per run: events reach every listener on the shared broker, other suites' too.
    private readonly string _finishOnTerm = $"finish-on-term-{Guid.NewGuid():N}";

    private readonly string _handedBack = $"handed-back-{Guid.NewGuid():N}";

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Sigterm_mid_job_lets_the_job_finish_then_the_worker_exits_cleanly()
    {
        // A stop timeout well above the job's length, so that a loaded machine (the job takes a few
        // seconds alone, several times that when other test runs share the CPUs) still finishes it.
        await using var harness = await RabbitWorkerHarness.StartAsync(inProcessWorker: false, settings: new Dictionary<string, string?>
        {
            ["Bus:ConsumerStopTimeout"] = "00:01:00",
            ["Bus:StopTimeout"] = "00:01:10",
        });
        using var worker = await WorkerProcess.StartAsync(harness.Settings, $"{harness.Settings["Bus:WorkerId"]}-term-finish");
        await harness.SendAsync(new RunWorkflow(_finishOnTerm, SlowWorkflow.Create(blurs: 4, side: 1024), CachePolicy: CachePolicy.Bypass));
        await harness.Events.WaitAsync<WorkflowProgress>(p => p.JobId == _finishOnTerm && p.NodeIndex >= 2, Timeout);

        worker.Terminate();
        Assert.DoesNotContain(harness.Events.All<WorkflowCompleted>(), c => c.JobId == _finishOnTerm);

        var (done, _) = await harness.Events.WaitAsync<WorkflowCompleted>(c => c.JobId == _finishOnTerm, Timeout);
        Assert.Single(done.Outputs);
        Assert.Equal(0, await worker.WaitForExitAsync(Timeout));
        Assert.DoesNotContain(harness.Events.All<WorkflowFailed>(), f => f.JobId == _finishOnTerm);
    }

    [Fact]
    public async Task Sigterm_with_a_job_longer_than_the_stop_timeout_hands_it_to_the_next_worker()
    {
        await using var harness = await RabbitWorkerHarness.StartAsync(inProcessWorker: false, settings: new Dictionary<string, string?>
        {
            ["Bus:ConsumerStopTimeout"] = "00:00:01",
            ["Bus:StopTimeout"] = "00:00:10",
        });
        using (var first = await WorkerProcess.StartAsync(harness.Settings, $"{harness.Settings["Bus:WorkerId"]}-term-handback-1"))
        {
            await harness.SendAsync(new RunWorkflow(_handedBack, SlowWorkflow.Create(blurs: 10, side: 1024), CachePolicy: CachePolicy.Bypass));
            await harness.Events.WaitAsync<WorkflowProgress>(p => p.JobId == _handedBack && p.NodeIndex >= 1, Timeout);

            first.Terminate();
            Assert.NotNull(await first.WaitForExitAsync(Timeout));
        }

        // The first worker neither finished nor failed the job: it is back on the queue.
        Assert.DoesNotContain(harness.Events.All<WorkflowCompleted>(), c => c.JobId == _handedBack);
        Assert.DoesNotContain(harness.Events.All<WorkflowFailed>(), f => f.JobId == _handedBack);

        using var second = await WorkerProcess.StartAsync(harness.Settings, $"{harness.Settings["Bus:WorkerId"]}-term-handback-2");
        await harness.Events.WaitAsync<WorkflowCompleted>(c => c.JobId == _handedBack, TimeSpan.FromSeconds(180));
        await Task.Delay(1500);
        Assert.Single(harness.Events.All<WorkflowCompleted>(), c => c.JobId == _handedBack);
        Assert.DoesNotContain(harness.Events.All<WorkflowFailed>(), f => f.JobId == _handedBack);
    }
}
