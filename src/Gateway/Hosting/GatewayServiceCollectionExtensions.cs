using ComfySnap.Gateway.Bus;
using ComfySnap.Gateway.Catalog;
using ComfySnap.Gateway.Relay;
using ComfySnap.Gateway.State;
using ComfySnap.Gateway.Telemetry;
using ComfySnap.Gateway.Uploads;
using ComfySnap.Gateway.WebSockets;
using ComfySnap.ServiceDefaults.Redis;

namespace ComfySnap.Gateway.Hosting;

/// <summary>Registers the gateway: options, the published node catalog and its validator, Redis state, bus, relay, WebSocket hub, readiness.</summary>
public static class GatewayServiceCollectionExtensions
{
    public static IServiceCollection AddComfyGateway(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<GatewayOptions>().Bind(configuration.GetSection(GatewayOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<RedisStateOptions>().Bind(configuration.GetSection(RedisStateOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.AddSingleton<GatewayMetrics>();

        // No node code: the node catalog comes from the workers through Redis.
        services.AddSingleton<GatewayCatalog>();
        services.AddSingleton<PromptValidator>();
        services.AddSingleton<GatewayReadiness>();

        services.AddRedisConnection(configuration, "the gateway keeps history and the prompt-to-client map in Redis");
        // After the connection: it loads the catalog before the gateway serves.
        services.AddHostedService<CatalogWatcher>();
        services.AddSingleton<RedisKeys>();
        services.AddSingleton<PromptStore>();
        services.AddSingleton<HistoryStore>();
        services.AddSingleton<OutputFileStore>();
        services.AddSingleton<UploadStore>();
        services.AddSingleton<UploadedInputResolver>();

        services.AddSingleton<ClientHub>();
        services.AddSingleton<PromptRelay>();
        services.AddGatewayBus(configuration);
        return services;
    }
}
