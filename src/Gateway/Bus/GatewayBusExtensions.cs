using ComfySnap.ServiceDefaults.RabbitMq;
using ComfySnap.ServiceDefaults.Routing;
using MassTransit;
using Microsoft.Extensions.Options;

namespace ComfySnap.Gateway.Bus;

/// <summary>
/// MassTransit on the workers' RabbitMQ (the "Bus" section; the connection is the one every program
/// shares, with TLS, a private CA and the heartbeat): jobs go to Bus:QueueName; the job events come
/// in on a temporary queue of this gateway (auto-deleted), one at a time so a prompt's events keep
/// their order. The bus starts with the host (first contact in one line) and the gateway serves only
/// once it is connected.
/// </summary>
public static class GatewayBusExtensions
{
    public static IServiceCollection AddGatewayBus(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<JobQueueOptions>().Bind(configuration.GetSection(JobQueueOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        services.AddRabbitMqConnection(configuration)
            .Validate(o => !string.IsNullOrWhiteSpace(o.Host), "Bus:RabbitMq:Host is required: the gateway talks to workers over RabbitMQ");
        services.AddOptions<RoutingOptions>().Bind(configuration.GetSection(RoutingOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<JobSender>();
        services.AddMassTransit(x =>
        {
            x.DisableUsageTelemetry();
            x.AddConsumer<GatewayEventConsumer>();
            x.UsingRabbitMq((context, cfg) =>
            {
                var gateway = context.GetRequiredService<IOptions<GatewayOptions>>().Value;
                cfg.Host(context);
                cfg.ReceiveEndpoint($"comfysnap-gateway-{gateway.EffectiveInstanceId}", e =>
                {
                    e.AutoDelete = true;
                    e.Durable = false;
                    e.PrefetchCount = 64;
                    e.ConcurrentMessageLimit = 1;
                    e.ConfigureConsumer<GatewayEventConsumer>(context);
                });
            });
        });
        services.AddRabbitMqBusHostedService();
        return services;
    }
}
