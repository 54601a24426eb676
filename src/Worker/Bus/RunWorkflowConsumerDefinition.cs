using ComfySnap.Worker.Jobs;
using MassTransit;
using Microsoft.Extensions.Options;

namespace ComfySnap.Worker.Bus;

/// <summary>The worker queue: name, quorum type, prefetch and concurrency from <see cref="BusOptions"/>; envelope or plain JSON messages.</summary>
public sealed class RunWorkflowConsumerDefinition : ConsumerDefinition<RunWorkflowConsumer>
{
    private readonly BusOptions _options;

    public RunWorkflowConsumerDefinition(IOptions<BusOptions> options)
    {
        _options = options.Value;
        EndpointName = _options.QueueName;
        ConcurrentMessageLimit = _options.ConcurrentMessageLimit;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<RunWorkflowConsumer> consumerConfigurator, IRegistrationContext context)
    {
        // Publishers in any language: a plain JSON RunWorkflow (content type application/json, or none)
        // is read as the message itself; MassTransit's envelope (application/vnd.masstransit+json) as before.
        endpointConfigurator.UseRawJsonDeserializer(RawSerializerOptions.Default, isDefault: true);
        endpointConfigurator.PrefetchCount = _options.PrefetchCount;
        endpointConfigurator.ConcurrentMessageLimit = _options.ConcurrentMessageLimit;
        if (endpointConfigurator is IRabbitMqReceiveEndpointConfigurator rabbit)
        {
            rabbit.SetQuorumQueue();
        }
    }
}

/// <summary>Cancels are published to every worker: each has its own temporary queue for them (envelope or plain JSON).</summary>
public sealed class CancelWorkflowConsumerDefinition : ConsumerDefinition<CancelWorkflowConsumer>
{
    public CancelWorkflowConsumerDefinition(IOptions<BusOptions> options)
    {
        EndpointName = $"comfysnap-cancel-{options.Value.EffectiveWorkerId}";
        Endpoint(e => e.Temporary = true);
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<CancelWorkflowConsumer> consumerConfigurator, IRegistrationContext context) =>
        endpointConfigurator.UseRawJsonDeserializer(RawSerializerOptions.Default, isDefault: true);
}
