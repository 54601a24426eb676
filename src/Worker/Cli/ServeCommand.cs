using System.Runtime.ExceptionServices;
using ComfySnap.Contracts;
using ComfySnap.ServiceDefaults.FirstContact;
using ComfySnap.ServiceDefaults.Hosting;
using ComfySnap.ServiceDefaults.Telemetry;
using ComfySnap.Snapshots;
using ComfySnap.Worker.Boot;
using ComfySnap.Worker.Bus;
using ComfySnap.Worker.Hosting;
using ComfySnap.Worker.Telemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ComfySnap.Worker.Cli;

/// <summary>
/// `serve`: container start. With Snapshot:Directory set it first tries to restore the snapshot
/// (the restored worker then connects and serves; this process supervises it); otherwise, or when
/// the restore is not possible, it cold-boots in-process and reports why. Runs until SIGTERM.
/// </summary>
public static class ServeCommand
{
    // Configuration a restored worker needs at run time; never part of the snapshot. Routing: a fleet
    // turns it on at deploy time, and a restored worker without it would ignore the model queues.
    // Webhooks carries the signing key: like the Bus and Cache credentials it reaches a restored
    // worker only over its control channel; so does ObjectStore (the bucket's keys), and Output (the
    // formats uploaded) is chosen per deployment.
    // Snapshot:ModelSets, SwitchTimeout, SwitchMinBytes and the cost priors: which sets have snapshots to switch to and when (docs/routing.md), chosen per deployment.
    private static readonly string[] RuntimeSections = ["Bus", "Cache", "Jobs", "Serilog", "Logging", "Engine", "Telemetry", "Catalog", "Health", "Routing", "Inputs", "Webhooks",
        "ObjectStore", "Output", "Snapshot:ModelSets", "Snapshot:SwitchTimeout", "Snapshot:SwitchMinBytes",
        "Snapshot:SwitchCostPrior", "Snapshot:LoadBytesPerSecondPrior"];

    public static async Task<int> RunAsync(IDictionary<string, string?> overrides, CancellationToken cancellationToken)
    {
        var builder = WorkerHostFactory.CreateBuilder(overrides, processIsWorker: true);
        var projectServices = ProjectServices.Apply(builder.Configuration, Environment.GetEnvironmentVariable, objectStore: true);
        builder.Services.AddQueueWorker(builder.Configuration);
        using var host = builder.Build();
        var services = host.Services;
        projectServices?.Log(services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ServeCommand)));
        if (!string.IsNullOrWhiteSpace(services.GetRequiredService<IOptions<SnapshotOptions>>().Value.Directory))
        {
            var workerId = services.GetRequiredService<IOptions<BusOptions>>().Value.EffectiveWorkerId;
            var config = new ResumeConfig(workerId, RuntimeSettings(builder.Configuration, workerId)) { SupervisorPid = Environment.ProcessId };
            var restorer = services.GetRequiredService<SnapshotRestorer>();
            var outcome = await restorer.RestoreAsync(config, cancellationToken);
            if (outcome.Restored)
            {
                return await RestoredSupervisor.RunAsync(outcome.Process!, restorer, services.GetRequiredService<StandbyPool>(), config,
                    services.GetRequiredService<IOptions<SnapshotOptions>>().Value.ModelSetDirectory,
                    services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(RestoredSupervisor)), cancellationToken);
            }

            services.GetRequiredService<BootContext>().MarkColdBoot(outcome.Fallback, outcome.SnapshotId, outcome.Phases);
        }

        var booted = services.GetRequiredService<WorkerReadiness>().Booted;
        await host.RunAsync(cancellationToken);
        return BootOutcome(booted);
    }

    // A failed boot stops the host; the exit code says so, and a configuration problem (first
    // contact, invalid settings) goes up to ProgramExit as the program's one line. A stop asked
    // for during the boot (SIGTERM) is no failure.
    private static int BootOutcome(Task<WorkerBooted> boot)
    {
        if (boot.IsFaulted && boot.Exception.InnerException is { } failure and not OperationCanceledException)
        {
            if (ProgramExit.OneLine(failure) is not null)
            {
                ExceptionDispatchInfo.Throw(failure);
            }

            return ProgramExit.Failed;
        }

        return 0;
    }

    private static Dictionary<string, string?> RuntimeSettings(ConfigurationManager configuration, string workerId)
    {
        var settings = RuntimeSections.SelectMany(s => configuration.GetSection(s).AsEnumerable())
            .Where(kv => kv.Value is not null)
            .ToDictionary(kv => kv.Key, kv => kv.Value);
        settings["Bus:WorkerId"] = workerId;
        // The restored process's environment was frozen at the checkpoint: hand the standard variable in as a setting.
        if (Environment.GetEnvironmentVariable(TelemetryOptions.StandardEndpointVariable) is { Length: > 0 } otlp && !settings.ContainsKey("Telemetry:Otlp:Endpoint"))
        {
            settings["Telemetry:Otlp:Endpoint"] = otlp;
        }

        return settings;
    }
}
