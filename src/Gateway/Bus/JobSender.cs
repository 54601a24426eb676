using ComfySnap.Contracts;
using MassTransit;
using Microsoft.Extensions.Options;

namespace ComfySnap.Gateway.Bus;

/// <summary>Sends jobs to the worker queue and publishes cancels to every worker.</summary>
public sealed class JobSender(IBus bus, IOptions<JobQueueOptions> options)
{
    // exchange:, not queue: - a queue: address would declare the workers' quorum queue as a classic one.
    private readonly Uri _queue = new($"exchange:{options.Value.QueueName}");

    public async Task SendAsync(RunWorkflow job, CancellationToken cancellationToken)
    {
        var endpoint = await bus.GetSendEndpoint(_queue).ConfigureAwait(false);
        await endpoint.Send(job, cancellationToken).ConfigureAwait(false);
    }

    public Task CancelAsync(string jobId, CancellationToken cancellationToken) => bus.Publish(new CancelWorkflow(jobId), cancellationToken);
}
