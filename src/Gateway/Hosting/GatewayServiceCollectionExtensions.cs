using ComfySnap.Gateway.Bus;
using ComfySnap.Gateway.Catalog;
using ComfySnap.Gateway.Relay;
using ComfySnap.Gateway.State;
using ComfySnap.Gateway.Uploads;
using ComfySnap.Gateway.WebSockets;
using ComfySnap.Worker.Caching;
using ComfySnap.Worker.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace ComfySnap.Gateway.Hosting;

/// <summary>Registers the gateway: options, the worker's engine (validation and node registry only), Redis state, bus, relay, WebSocket hub.</summary>
public static class GatewayServiceCollectionExtensions
{
    public static IServiceCollection AddComfyGateway(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<GatewayOptions>().Bind(configuration.GetSection(GatewayOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<CacheOptions>().Bind(configuration.GetSection(CacheOptions.SectionName)).ValidateDataAnnotations()
            .Validate(o => !string.IsNullOrWhiteSpace(o.Redis), "Cache:Redis is required: the gateway keeps history and the prompt-to-client map in Redis")
            .ValidateOnStart();
        services.AddSingleton(TimeProvider.System);

        // The worker's registrations; the gateway resolves only the registry, node packs, model
        // store (file lists), workspace and validator from them: nothing that loads torch or models.
        services.AddWorkflowEngine(configuration);
        services.AddSingleton<PromptValidator>();
        services.AddSingleton<ObjectInfoBuilder>();
        services.AddHostedService<NodeCatalogLoader>();

        services.AddSingleton<IConnectionMultiplexer>(sp =>
        {
            var cache = sp.GetRequiredService<IOptions<CacheOptions>>().Value;
            var config = ConfigurationOptions.Parse(cache.Redis!);
            config.AbortOnConnectFail = false;
            RedisCertificateValidator.Attach(config, cache.RedisTlsCaFile, sp.GetRequiredService<ILoggerFactory>().CreateLogger<RedisCertificateValidator>());
            return ConnectionMultiplexer.Connect(config);
        });
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
