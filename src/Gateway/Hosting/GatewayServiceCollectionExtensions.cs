using ComfySnap.Gateway.Bus;
using ComfySnap.Gateway.Catalog;
using ComfySnap.Gateway.Relay;
using ComfySnap.Gateway.State;
using ComfySnap.Gateway.Uploads;
using ComfySnap.Gateway.WebSockets;
using ComfySnap.ServiceDefaults.Redis;
using ComfySnap.Worker.Caching;
using ComfySnap.Worker.Hosting;

namespace ComfySnap.Gateway.Hosting;

/// <summary>Registers the gateway: options, the worker's engine (validation and node registry only), Redis state, bus, relay, WebSocket hub.</summary>
public static class GatewayServiceCollectionExtensions
{
    public static IServiceCollection AddComfyGateway(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<GatewayOptions>().Bind(configuration.GetSection(GatewayOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<CacheOptions>().Bind(configuration.GetSection(CacheOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(TimeProvider.System);

        // The worker's registrations; the gateway resolves only the registry, node packs, model
        // store (file lists), workspace and validator from them: nothing that loads torch or models.
        services.AddWorkflowEngine(configuration);
        services.AddSingleton<PromptValidator>();
        services.AddSingleton<ObjectInfoBuilder>();
        services.AddHostedService<NodeCatalogLoader>();

        services.AddRedisConnection(configuration, "the gateway keeps history and the prompt-to-client map in Redis");
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
