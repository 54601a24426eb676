using ComfySnap.ServiceDefaults.RabbitMq;
using ComfySnap.Worker.Jobs;
using ComfySnap.Worker.Webhooks;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ComfySnap.Worker.Bus;

/// <summary>Registers MassTransit (in-memory or RabbitMQ) without starting it: <see cref="Hosting.WorkerService"/> starts it after boot.</summary>
public static class BusServiceCollectionExtensions
{
    public static IServiceCollection AddWorkerBus(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<BusOptions>().Bind(configuration.GetSection(BusOptions.SectionName))
            .ValidateDataAnnotations()
            .Validate(o => o.EffectiveTransport is "InMemory" or "RabbitMq", "Bus:Transport must be InMemory or RabbitMq")
            .Validate(o => o.EffectiveTransport != "RabbitMq" || !string.IsNullOrWhiteSpace(o.RabbitMq.Host), "Bus:RabbitMq:Host is required for the RabbitMq transport")
            .Validate(o => o.ConsumerStopTimeout <= o.StopTimeout, "Bus:ConsumerStopTimeout must not exceed Bus:StopTimeout")
            .ValidateOnStart();
        var options = configuration.GetSection(BusOptions.SectionName).Get<BusOptions>() ?? new BusOptions();
        services.AddRabbitMqConnection(configuration);

        services.AddMassTransit(x =>
        {
            x.DisableUsageTelemetry();
            x.AddConsumer<RunWorkflowConsumer, RunWorkflowConsumerDefinition>();
            x.AddConsumer<CancelWorkflowConsumer, CancelWorkflowConsumerDefinition>();
            x.AddConsumer<WebhookDeliveryConsumer, WebhookDeliveryConsumerDefinition>();
            x.AddConfigureEndpointsCallback((context, _, endpoint) =>
            {
                endpoint.UseMessageRetry(r =>
                {
                    r.Interval(3, TimeSpan.FromMilliseconds(200));
                    r.Ignore<InvalidJobException>();
                    r.Ignore<System.Text.Json.JsonException>();
                });
                // A job's results (WorkflowCompleted, JobTimings) go out side by side once it is done:
                // the next job waits for the acknowledgement, which waits for their broker confirms.
                endpoint.UseInMemoryOutbox(context, o => o.ConcurrentMessageDelivery = true);
            });

            if (options.EffectiveTransport == "RabbitMq")
            {
                x.UsingRabbitMq((context, cfg) =>
                {
                    cfg.Host(context);
                    cfg.ConfigureEndpoints(context);
                });
            }
            else
            {
                x.UsingInMemory((context, cfg) => cfg.ConfigureEndpoints(context));
            }
        });
        services.RemoveMassTransitHostedService();
        services.AddOptions<MassTransitHostOptions>().Configure<IOptions<BusOptions>>((host, bus) =>
        {
            host.WaitUntilStarted = true;
            host.StopTimeout = bus.Value.StopTimeout;
            host.ConsumerStopTimeout = bus.Value.ConsumerStopTimeout;
        });
        return services;
    }
}
