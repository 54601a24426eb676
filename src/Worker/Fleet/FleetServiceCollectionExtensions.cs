using ComfySnap.ServiceDefaults.Routing;
using ComfySnap.Worker.Boot;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using ComfySnap.Contracts;
using ComfySnap.Diffusion.Models;

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
        // Built when the host starts (a restored worker: after its runtime config), so the priors are the deployment's.
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<ModelSetSnapshotOptions>>().Value;
            var costs = new SwitchCosts(options.SwitchCostPrior, options.LoadBytesPerSecondPrior);
            var budget = sp.GetRequiredService<ModelBudget>();
            sp.GetRequiredService<ModelStore>().Loaded += (kind, name, ms) =>
            {
                var model = ModelSet.ModelName(kind, name);
                costs.ObserveLoad(model, budget.FileBytes(model), ms);
            };
            return costs;
        });
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
