using ComfySnap.Contracts;
using ComfySnap.Tests.Worker.Support;

namespace ComfySnap.Tests.Worker;

/// <summary>CancelWorkflow and deadlines over RabbitMQ.</summary>
[Trait("Category", "Integration")]
public sealed class CancelAndDeadlineTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task Cancel_stops_the_running_job_only_and_reports_completed_nodes()
    {
        await using var worker = await RabbitWorkerHarness.StartAsync();
        await worker.SendAsync(new RunWorkflow("slow", SlowWorkflow.Create(), CachePolicy: CachePolicy.Bypass));
        await worker.SendAsync(new RunWorkflow("after", SlowWorkflow.Create(blurs: 1, side: 64), CachePolicy: CachePolicy.Bypass));
        await worker.Events.WaitAsync<WorkflowProgress>(p => p.JobId == "slow" && p.NodeIndex >= 1, Timeout);
        await worker.PublishAsync(new CancelWorkflow("slow"));

        var failed = Assert.IsType<WorkflowFailed>(await worker.Events.ResultAsync("slow", Timeout));
        Assert.Equal(FailureKind.Cancelled, failed.Kind);
        Assert.Contains("1", failed.CompletedNodes);
        Assert.DoesNotContain("10", failed.CompletedNodes);
        Assert.IsType<WorkflowCompleted>(await worker.Events.ResultAsync("after", Timeout));
    }

    [Fact]
    public async Task Cancel_before_arrival_fails_the_job_when_it_comes()
    {
        await using var worker = await RabbitWorkerHarness.StartAsync();
        await worker.PublishAsync(new CancelWorkflow("early"));
        await Task.Delay(300);
        await worker.SendAsync(new RunWorkflow("early", SlowWorkflow.Create(blurs: 1, side: 64)));
        var failed = Assert.IsType<WorkflowFailed>(await worker.Events.ResultAsync("early", Timeout));
        Assert.Equal(FailureKind.Cancelled, failed.Kind);
        Assert.Equal(0, worker.Logs.Executions("early"));
    }

    [Fact]
    public async Task Passed_deadline_fails_with_timeout()
    {
        await using var worker = await RabbitWorkerHarness.StartAsync();
        await worker.SendAsync(new RunWorkflow("late", SlowWorkflow.Create(blurs: 1, side: 64), Deadline: DateTimeOffset.UtcNow.AddSeconds(-1)));
        var failed = Assert.IsType<WorkflowFailed>(await worker.Events.ResultAsync("late", Timeout));
        Assert.Equal(FailureKind.Timeout, failed.Kind);

        await worker.SendAsync(new RunWorkflow("too-slow", SlowWorkflow.Create(), CachePolicy: CachePolicy.Bypass, Deadline: DateTimeOffset.UtcNow.AddMilliseconds(800)));
        var timedOut = Assert.IsType<WorkflowFailed>(await worker.Events.ResultAsync("too-slow", Timeout));
        Assert.Equal(FailureKind.Timeout, timedOut.Kind);
    }
}
