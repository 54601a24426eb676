using ComfySnap.Contracts;
using ComfySnap.ServiceDefaults.Routing;
using MassTransit;
using Microsoft.Extensions.Options;

namespace ComfySnap.Gateway.Bus;

/// <summary>
/// Sends jobs to the workers and publishes cancels to every worker. With Routing:Enabled a job that
/// carries a model set goes to the model exchange keyed by it (a worker holding the set takes it; a
/// key nobody serves falls through to the shared queue); otherwise to the shared queue.
/// </summary>
public sealed class JobSender(IBus bus, IOptions<JobQueueOptions> options, IOptions<RoutingOptions> routing)
{
    private readonly ModelRoutes _routes = new(options.Value.QueueName);

    public async Task SendAsync(RunWorkflow job, CancellationToken cancellationToken)
    {
        if (routing.Value.Enabled && job.ModelSet is { } set)
        {
            var models = await bus.GetSendEndpoint(_routes.ModelExchangeAddress).ConfigureAwait(false);
            await models.Send(job, send => send.SetRoutingKey(set.Key), cancellationToken).ConfigureAwait(false);
            return;
        }

        var endpoint = await bus.GetSendEndpoint(_routes.SharedExchangeAddress).ConfigureAwait(false);
        await endpoint.Send(job, cancellationToken).ConfigureAwait(false);
    }

    public Task CancelAsync(string jobId, CancellationToken cancellationToken) => bus.Publish(new CancelWorkflow(jobId), cancellationToken);
}
