using ComfySnap.Contracts;
using ComfySnap.Worker.Jobs;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace ComfySnap.Worker.Bus;

/// <summary>Cancels one job: the running one fails Cancelled with its completed nodes; a queued one when it arrives.</summary>
public sealed class CancelWorkflowConsumer(JobRegistry registry, ILogger<CancelWorkflowConsumer> logger) : IConsumer<CancelWorkflow>
{
    public Task Consume(ConsumeContext<CancelWorkflow> context)
    {
        var jobId = context.Message.JobId;
        using var scope = logger.BeginScope(new Dictionary<string, object> { ["JobId"] = jobId, ["JobTag"] = $"[{jobId}] " });
        var running = registry.Cancel(jobId);
        logger.LogInformation("Cancel for job {JobId}: {State}", jobId, running ? "running job cancelled" : "remembered until it arrives");
        return Task.CompletedTask;
    }
}
