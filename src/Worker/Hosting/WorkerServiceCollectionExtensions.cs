using ComfySnap.ServiceDefaults.Redis;
using ComfySnap.ServiceDefaults.Telemetry;
using ComfySnap.Worker.Bus;
using ComfySnap.Worker.Caching;
using ComfySnap.Worker.Catalog;
using ComfySnap.Worker.Delivery;
using ComfySnap.Worker.Fleet;
using ComfySnap.Worker.Health;
using ComfySnap.Worker.Inputs;
using ComfySnap.Worker.Jobs;
using ComfySnap.Worker.Jobs.Leases;
using ComfySnap.Worker.Telemetry;
using ComfySnap.Worker.Webhooks;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ComfySnap.Worker.Hosting;

/// <summary>Registers the queue worker on top of the engine: output cache, job runner, bus, boot service, heartbeat, catalog publisher, health endpoints.</summary>
public static class WorkerServiceCollectionExtensions
{
    public static IServiceCollection AddQueueWorker(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<CacheOptions>().Bind(configuration.GetSection(CacheOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        services.AddRedisConnectionOptions(configuration);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<RedisOutputCache>();
        services.AddSingleton<InProcessOutputCache>();
        services.AddSingleton<IOutputCache>(sp => !sp.GetRequiredService<IOptions<RedisConnectionOptions>>().Value.IsConfigured
            ? sp.GetRequiredService<InProcessOutputCache>()
            : sp.GetRequiredService<RedisOutputCache>());
        services.AddSingleton<ResultStore>();
        services.AddSingleton<WorkflowCacheKey>();
        services.AddSingleton<OutputDeliverer>();
        services.AddObjectStore(configuration);
        services.AddUrlInputs(configuration);
        services.AddSingleton<InputFileMaterializer>();
        services.AddSingleton<JobRegistry>();
        services.AddOptions<JobOptions>().Bind(configuration.GetSection(JobOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<ReplicaAcknowledgement>();
        services.AddSingleton<RedisJobLeases>();
        services.AddSingleton<InProcessJobLeases>();
        services.AddSingleton<IJobLeases>(sp => !sp.GetRequiredService<IOptions<RedisConnectionOptions>>().Value.IsConfigured
            ? sp.GetRequiredService<InProcessJobLeases>()
            : sp.GetRequiredService<RedisJobLeases>());
        services.AddSingleton<JobLeaseGate>();
        services.AddWebhooks(configuration);
        services.AddSingleton<JobRunner>();
        services.AddSingleton<JobCounters>();
        services.AddSingleton<WorkerMetrics>();
        services.AddSingleton<WorkerReadiness>();
        services.AddComfySnapTelemetry(configuration, "comfysnap-worker", instanceId: sp => sp.GetRequiredService<IOptions<BusOptions>>().Value.EffectiveWorkerId);
        services.AddWorkerBus(configuration);
        services.AddHostedService<WorkerService>();
        services.AddHostedService<HeartbeatService>();
        services.AddFleet(configuration);
        services.AddOptions<CatalogOptions>().Bind(configuration.GetSection(CatalogOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<CatalogPublisher>();
        services.AddHostedService(sp => sp.GetRequiredService<CatalogPublisher>());
        services.AddOptions<HealthOptions>().Bind(configuration.GetSection(HealthOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<WorkerReadinessCheck>();
        services.AddSingleton<HealthServer>();
        services.AddHostedService(sp => sp.GetRequiredService<HealthServer>());
        return services;
    }
}
