using ComfySnap.Worker.Bus;
using MassTransit;
using Microsoft.Extensions.Options;

namespace ComfySnap.Worker.Webhooks;

/// <summary>The webhook queue: durable quorum queue "&lt;Bus:QueueName&gt;-webhooks", its own concurrency beside the job queue's.</summary>
public sealed class WebhookDeliveryConsumerDefinition : ConsumerDefinition<WebhookDeliveryConsumer>
{
    private readonly WebhookOptions _options;

    public WebhookDeliveryConsumerDefinition(IOptions<WebhookOptions> options, IOptions<BusOptions> bus)
    {
        _options = options.Value;
        EndpointName = _options.EffectiveQueueName(bus.Value.QueueName);
        ConcurrentMessageLimit = _options.ConcurrentDeliveries;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<WebhookDeliveryConsumer> consumerConfigurator, IRegistrationContext context)
    {
        endpointConfigurator.UseRawJsonDeserializer(RawSerializerOptions.Default, isDefault: false);
        endpointConfigurator.PrefetchCount = _options.ConcurrentDeliveries;
        endpointConfigurator.ConcurrentMessageLimit = _options.ConcurrentDeliveries;
        if (endpointConfigurator is IRabbitMqReceiveEndpointConfigurator rabbit)
        {
            rabbit.SetQuorumQueue();
        }
    }
}
