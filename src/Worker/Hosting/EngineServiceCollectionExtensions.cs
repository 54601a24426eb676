using ComfySnap.NodeSdk;
using ComfySnap.Worker.Boot;
using ComfySnap.Worker.Catalog;
using ComfySnap.Worker.Models;
using ComfySnap.Engine;
using ComfySnap.Engine.Catalog;
using ComfySnap.Engine.Execution;
using ComfySnap.Engine.Nodes;
using ComfySnap.Engine.Validation;
using ComfySnap.Diffusion.Models;
using ComfySnap.Diffusion.Models.StableDiffusion;
using ComfySnap.Diffusion.Models.StableDiffusion.ControlNet;
using ComfySnap.Diffusion.Text;
using ComfySnap.Engine.NodePacks;
using ComfySnap.Snapshots;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ComfySnap.Worker.Hosting;

/// <summary>Registers the workflow engine: nodes, packs, models, workspace, device, validator, executor, the catalog document.</summary>
public static class EngineServiceCollectionExtensions
{
    private static bool WarmupSizesParse(IEnumerable<string> entries)
    {
        try
        {
            _ = WarmupSize.ParseAll(entries);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    public static IServiceCollection AddWorkflowEngine(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<EngineOptions>().Bind(configuration.GetSection(EngineOptions.SectionName))
            .Validate(o => o.Limits.MaxNodes > 0 && o.Limits.MaxPixels > 0 && o.Limits.MaxBatchSize > 0, "Engine:Limits values must be positive")
            .ValidateOnStart();
        services.AddOptions<ModelStoreOptions>().Bind(configuration.GetSection(ModelStoreOptions.SectionName))
            .Validate(o => WarmupSizesParse(o.WarmupSizes), "Models:WarmupSizes entries must be sizes such as 512 or 512x768: multiples of 8 from 64 to 4096")
            .Validate(o => UnetDtype.TryParse(o.UnetDtype, out _), $"Models:UnetDtype must be {UnetDtype.Accepted}")
            .ValidateOnStart();
        services.AddModelDownloads();
        services.AddOptions<WorkspaceOptions>().Bind(configuration.GetSection(WorkspaceOptions.SectionName));
        services.AddOptions<DeviceOptions>().Bind(configuration.GetSection(DeviceOptions.SectionName))
            .Validate(o => o.Preference is "auto" or "cpu" or "cuda", "Device:Preference must be auto, cpu or cuda").ValidateOnStart();
        services.AddOptions<NodePackOptions>().Bind(configuration.GetSection(NodePackOptions.SectionName));

        services.AddSingleton<NodeRegistry>();
        services.AddSingleton<NodePackLoader>();
        services.AddSingleton<IModelLoader, UpscaleModelFileLoader>();
        services.AddSingleton<IModelLoader, CheckpointFileLoader>();
        services.AddSingleton<IModelLoader, VaeFileLoader>();
        services.AddSingleton<IModelLoader, LoraFileLoader>();
        services.AddSingleton<IModelLoader, ControlNetFileLoader>();
        services.AddSingleton<ClipTokenizerProvider>();
        services.AddSingleton<ModelStore>();
        services.AddSingleton<IModelStore>(sp => sp.GetRequiredService<ModelStore>());
        services.AddSingleton<IWorkspace, Workspace>();
        services.AddSingleton<DeviceService>();
        services.AddSingleton<IDeviceService>(sp => sp.GetRequiredService<DeviceService>());
        services.AddSingleton<NodeOutputCache>();
        services.AddSingleton<IFileCatalog, LocalFileCatalog>();
        services.AddSingleton(sp =>
        {
            var limits = sp.GetRequiredService<IOptions<EngineOptions>>().Value.Limits;
            var registry = sp.GetRequiredService<NodeRegistry>();
            var checks = new NodeCodeChecks(registry, sp.GetRequiredService<IModelStore>(), sp.GetRequiredService<IWorkspace>(), limits);
            return new WorkflowValidator(registry, sp.GetRequiredService<IFileCatalog>(), checks, limits);
        });
        services.AddSingleton<WorkflowExecutor>();
        services.AddSingleton<WorkflowEngine>();
        services.AddSingleton<WorkerCatalog>();
        services.AddSingleton<EngineBoot>();
        services.AddSingleton<ColdBoot>();

        services.AddOptions<SnapshotOptions>().Bind(configuration.GetSection(SnapshotOptions.SectionName));
        services.AddOptions<CriuOptions>().Bind(configuration.GetSection(CriuOptions.SectionName));
        services.AddSingleton<CriuRunner>();
        services.AddSingleton<SnapshotRestorer>();
        services.AddSingleton<StandbyPool>();
        services.AddSingleton<BootContext>();
        return services;
    }
}
