using ComfySnap.Worker.Bus;
using MassTransit;
using Microsoft.Extensions.Options;

namespace ComfySnap.Gateway.Bus;

/// <summary>
/// MassTransit on the workers' RabbitMQ (the "Bus" section): jobs go to Bus:QueueName; the job events
/// come in on a temporary queue of this gateway (auto-deleted), one at a time so a prompt's events
/// keep their order. The bus starts with the host and the gateway serves only once it is connected.
/// </summary>
public static class GatewayBusExtensions
{
    public static IServiceCollection AddGatewayBus(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<BusOptions>().Bind(configuration.GetSection(BusOptions.SectionName))
            .ValidateDataAnnotations()
            .Validate(o => !string.IsNullOrWhiteSpace(o.RabbitMq.Host), "Bus:RabbitMq:Host is required: the gateway talks to workers over RabbitMQ")
            .ValidateOnStart();
        services.AddSingleton<JobSender>();
        services.AddMassTransit(x =>
        {
            x.DisableUsageTelemetry();
            x.AddConsumer<GatewayEventConsumer>();
            x.UsingRabbitMq((context, cfg) =>
            {
                var rabbit = context.GetRequiredService<IOptions<BusOptions>>().Value.RabbitMq;
                var gateway = context.GetRequiredService<IOptions<GatewayOptions>>().Value;
                cfg.Host(rabbit.Host, (ushort)rabbit.Port, rabbit.VirtualHost, h =>
                {
                    h.Username(rabbit.Username);
                    h.Password(rabbit.Password);
                    if (rabbit.UseTls)
                    {
                        h.UseSsl(ssl => ssl.ServerName = string.IsNullOrEmpty(rabbit.TlsServerName) ? rabbit.Host : rabbit.TlsServerName);
                    }
                });
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
        services.AddOptions<MassTransitHostOptions>().Configure(o => o.WaitUntilStarted = true);
        return services;
    }
}
