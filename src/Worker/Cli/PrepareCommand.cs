using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using ComfySnap.Snapshots;
using ComfySnap.Worker.Boot;
using ComfySnap.Engine;
using ComfySnap.Worker.Hosting;
using ComfySnap.Diffusion.Models;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TorchSharp;

namespace ComfySnap.Worker.Cli;

/// <summary>
/// `prepare`: the worker as the SnapshotBuilder starts it. Boots the engine with the GPU masked
/// and no bus, warms up, compacts the heap, prints READY and parks reading stdin (the dump
/// happens here). A restored copy continues from that read: it gets its runtime config as one
/// JSON line, re-seeds randomness, initialises the device, runs the canary and reports BOOTED.
/// </summary>
public static class PrepareCommand
{
    public static async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var overrides = new Dictionary<string, string?>();
        var builder = WorkerHostFactory.CreateBuilder(overrides, logToStandardError: true, processIsWorker: true);
        // Registered, not started: the bus and Redis connect only after a restore, with the
        // endpoints and credentials handed in then (Bus:Transport=RabbitMq comes from the builder).
        builder.Services.AddQueueWorker(builder.Configuration);
        using var host = builder.Build();
        var services = host.Services;
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("Prepare");
        var timer = new PhaseTimer(logger);
        var device = services.GetRequiredService<DeviceService>();
        device.Mask();
        await services.GetRequiredService<EngineBoot>().RunAsync(timer, cancellationToken);
        var engine = services.GetRequiredService<WorkflowEngine>();
        await timer.RunAsync("warm-up canary", () => CanaryWorkflow.RunAsync(engine, cancellationToken), sha => sha[..12]);
        timer.Run("resume rehearsal", () => RehearseResume(logger));
        timer.Run("heap compaction", () => GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true));
        var snapshotOptions = services.GetRequiredService<IOptions<SnapshotOptions>>().Value;
        if (snapshotOptions.TrimNativeHeap)
        {
            await timer.RunAsync("native heap trim", () => Task.FromResult(NativeHeapTrim.Run()), r => $"anonymous RSS {r.Before / (1024 * 1024)} -> {r.After / (1024 * 1024)} MiB");
        }

        if (snapshotOptions.HugePages)
        {
            // Last before the dump: the compaction above settles the GC heap's regions.
            await timer.RunAsync("huge pages", () => Task.FromResult(HugePageAdvice.MarkAnonymousRegions()), r => $"{r.Regions} regions, {r.Bytes / (1024 * 1024)} MiB");
        }


        Console.Out.WriteLine(PrepareProtocol.Ready([.. timer.Phases.Select(p => new PreparePhase(p.Name, p.Milliseconds, p.Detail))]));
        Console.Out.Flush();

        // Parked. Everything below runs in a restored copy (or if the builder resumes us).
        var line = await Console.In.ReadLineAsync(cancellationToken);
        if (line is null)
        {
            return 0;
        }

        var resume = new PhaseTimer(logger);
        var config = PrepareProtocol.ParseResume(line);
        resume.Run("apply config", () =>
        {
            foreach (var (key, value) in config.Settings)
            {
                builder.Configuration[key] = value;
            }
        });
        resume.Run("re-seed randomness", () => torch.random.manual_seed(RandomNumberGenerator.GetInt32(int.MaxValue)));
        resume.Run("device init", () => device.Initialize());
        if (config.SnapshotId is not null)
        {
            // Restored from a snapshot: the weights are file mappings that came back empty.
            if (config.PageInWeightsAfterReady)
            {
                // Started once BOOTED is out (below): the canary needs no weights, and their reads would compete with its.
                resume.Record("page in weights", 0, "after ready, in the background");
            }
            else
            {
                await resume.RunAsync("page in weights", () => Task.FromResult(services.GetRequiredService<ModelStore>().PageInMappedWeights(cancellationToken)),
                    bytes => $"{bytes / (1024 * 1024)} MiB");
            }
        }
        string canary = "";
        string? error = null;
        try
        {
            canary = await resume.RunAsync("canary", () => CanaryWorkflow.RunAsync(engine, cancellationToken), sha => sha[..12]);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            error = $"canary failed: {e.Message}";
        }

        Console.Out.WriteLine(PrepareProtocol.Booted(new ResumeReport(config.WorkerId, [.. resume.Phases.Select(p => new PreparePhase(p.Name, p.Milliseconds, p.Detail))], canary, error)));
        Console.Out.Flush();
        if (error is not null)
        {
            return 6;
        }

        if (config.SnapshotId is not null && config.PageInWeightsAfterReady)
        {
            // Before any job can look a model up: every lookup waits for this page-in.
            services.GetRequiredService<ModelStore>().StartPageInMappedWeights(cancellationToken);
        }

        if (string.IsNullOrWhiteSpace(builder.Configuration["Bus:RabbitMq:Host"]) && !builder.Configuration.GetSection("Bus:RabbitMq:Nodes").GetChildren().Any())
        {
            return await RestoredWorkerLoop.RunAsync(host, cancellationToken);
        }

        services.GetRequiredService<BootContext>().MarkRestored(
            config.SnapshotId,
            [.. config.LauncherPhases.Concat(resume.Phases.Select(p => new PreparePhase(p.Name, p.Milliseconds, p.Detail))).Select(p => new BootPhase(p.Name, p.Milliseconds, p.Detail))]);
        if (config.SupervisorPid is not null)
        {
            // From here on stdin/stdout are the control channel to `serve`: a model-set switch asks it for a restored copy.
            services.GetRequiredService<ComfySnap.Worker.Fleet.SupervisorChannel>().Attach(Console.In, Console.Out);
        }

        if (config is { SwitchedToSet: { } switchedTo, SwitchNeededAt: { } neededAt })
        {
            var arrival = services.GetRequiredService<ComfySnap.Worker.Fleet.SwitchArrival>();
            arrival.Expect(switchedTo, neededAt, config.SwitchPhases);
            arrival.Mark("booted");
        }

        using var stopWatching = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var watch = config.SupervisorPid is { } supervisor
            ? ActivatorUtilities.CreateInstance<SupervisorWatch>(services).WatchAsync(supervisor, stopWatching.Token)
            : Task.CompletedTask;
        await host.RunAsync(cancellationToken);
        await stopWatching.CancelAsync();
        await watch;
        return 0;
    }

    // Runs the resume path's own code once before the dump (protocol JSON both ways, the phase
    // timer's shapes, the control channel's line decoding), so a restored copy does not
    // JIT-compile it between SIGCONT and BOOTED.
    private static void RehearseResume(ILogger logger)
    {
        var config = PrepareProtocol.ParseResume(PrepareProtocol.Resume(
            new ResumeConfig("rehearsal", new Dictionary<string, string?> { ["Bus:WorkerId"] = "rehearsal" }) { SnapshotId = "rehearsal", LauncherPhases = [new("restore", 1, null)] }));
        var timer = new PhaseTimer(logger);
        timer.Run("apply config", () => _ = config.Settings.Count);
        timer.Run("rehearsal", () => { });
        _ = timer.RunAsync("rehearsal", () => Task.FromResult(0L), bytes => $"{bytes / (1024 * 1024)} MiB").GetAwaiter().GetResult();
        var booted = PrepareProtocol.Booted(new ResumeReport(config.WorkerId, [.. timer.Phases.Select(p => new PreparePhase(p.Name, p.Milliseconds, p.Detail))], "", null));
        _ = PrepareProtocol.ParseBooted(booted);
        _ = JsonSerializer.Deserialize<string>(JsonSerializer.Serialize(booted));
    }
}
