using ComfySnap.Contracts;
using ComfySnap.ServiceDefaults.Routing;
using ComfySnap.Worker.Fleet;
using ComfySnap.Worker.Hosting;
using ComfySnap.Worker.Jobs;
using MassTransit;
using Microsoft.Extensions.Options;

namespace ComfySnap.Worker.Bus;

/// <summary>Takes RunWorkflow messages off the worker queue (or a model queue) and hands them to the <see cref="JobRunner"/>.</summary>
public sealed class RunWorkflowConsumer(JobRunner runner, WorkerReadiness readiness, IBus bus, IOptions<BusOptions> options) : IConsumer<RunWorkflow>
{
    public async Task Consume(ConsumeContext<RunWorkflow> context)
    {
        // The bus starts beside the Redis connect: the job's lease and cached answers need Redis first.
        try
        {
            await readiness.CacheConnected.WaitAsync(context.CancellationToken).ConfigureAwait(false);
        }
        catch (Exception) when (!context.CancellationToken.IsCancellationRequested)
        {
            // The connect failed, so the boot did: held until the bus stops, which hands this message back like any shutdown.
            await Task.Delay(Timeout.Infinite, context.CancellationToken).ConfigureAwait(false);
        }

        await runner.RunAsync(context.Message, context.SentTime is { } s ? new DateTimeOffset(s, TimeSpan.Zero) : null, new Publisher(context, bus), context.CancellationToken,
            DeliveryOf(context)).ConfigureAwait(false);
    }

    private JobDelivery DeliveryOf(ConsumeContext context)
    {
        var queue = context.ReceiveContext.InputAddress is { } input ? input.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "" : "";
        return JobDelivery.Of(new ModelRoutes(options.Value.QueueName), queue,
            name => context.Headers.Get<string>(name), context.ReceiveContext.TransportHeaders.TryGetHeader("x-death", out _));
    }

    // Results go through the consume context (held by the in-memory outbox until the message is
    // acknowledged); accepted and progress go straight to the bus so they arrive while the job runs.
    private sealed class Publisher(ConsumeContext context, IBus bus) : IJobPublisher
    {
        public Task PublishNowAsync<T>(T message, CancellationToken cancellationToken)
            where T : class => bus.Publish(message, cancellationToken);

        public Task PublishResultAsync<T>(T message, CancellationToken cancellationToken)
            where T : class => context.Publish(message, cancellationToken);

        public async Task SendResultAsync<T>(Uri destination, T message, CancellationToken cancellationToken)
            where T : class
        {
            var endpoint = await context.GetSendEndpoint(destination).ConfigureAwait(false);
            await endpoint.Send(message, cancellationToken).ConfigureAwait(false);
        }

        public async Task RerouteAsync(RunWorkflow job, Uri exchange, string? routingKey, IReadOnlyDictionary<string, string> headers, CancellationToken cancellationToken)
        {
            var endpoint = await context.GetSendEndpoint(exchange).ConfigureAwait(false);
            await endpoint.Send(job, send =>
            {
                foreach (var (name, value) in headers)
                {
                    send.Headers.Set(name, value);
                }

                if (routingKey is not null)
                {
                    send.SetRoutingKey(routingKey);
                }
            }, cancellationToken).ConfigureAwait(false);
        }
    }
}
