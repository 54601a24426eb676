using ComfySnap.ServiceDefaults.Routing;
using ComfySnap.Worker.Boot;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace ComfySnap.Worker.Fleet;

/// <summary>Registers the fleet's model-aware routing: Routing options, model budget, model-queue consumers, the Redis registry, switching model sets by restore.</summary>
public static class FleetServiceCollectionExtensions
{
    public static IServiceCollection AddFleet(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<RoutingOptions>().Bind(configuration.GetSection(RoutingOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<ModelSetSnapshotOptions>().Bind(configuration.GetSection(SnapshotOptions.SectionName)).ValidateDataAnnotations();
        services.AddSingleton<SupervisorChannel>();
        services.AddSingleton<ModelSetSwitch>();
        services.AddSingleton<SwitchArrival>();
        services.AddSingleton<FleetState>();
        services.AddSingleton<FleetRegistry>();
        services.AddSingleton<FleetJobs>();
        services.AddSingleton<ModelBudget>();
        services.AddSingleton<ModelQueueEndpoints>();
        services.AddSingleton<ModelQueueDepths>();
        services.AddSingleton<ModelBalancer>();
        services.AddHostedService<FleetService>();
        return services;
    }
}
