using ComfySnap.Contracts;
using ComfySnap.ServiceDefaults.RabbitMq;
using ComfySnap.Worker.Boot;
using ComfySnap.Worker.Bus;
using ComfySnap.Worker.Caching;
using ComfySnap.Engine;
using ComfySnap.Worker.Telemetry;
using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ComfySnap.Worker.Hosting;

/// <summary>
/// The queue worker's boot: device, engine phases, cache connect, bus connect (the bus is not
/// started with the host, so a snapshot can be taken before), then WorkerBooted. Stops the bus on
/// shutdown, which lets a running job finish or hands its message back.
/// </summary>
public sealed class WorkerService(
    ColdBoot coldBoot,
    IOutputCache cache,
    IBusControl bus,
    WorkerReadiness readiness,
    BrokerCertificateValidator certificates,
    BrokerConnectionState brokerState,
    IOptions<RabbitMqOptions> rabbit,
    BootContext bootContext,
    IOptions<BusOptions> options,
    WorkerMetrics metrics,
    TimeProvider time,
    ILogger<WorkerService> logger) : BackgroundService
{
    private volatile bool _busStarted;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            var timer = new PhaseTimer(logger);
            if (!bootContext.EngineBooted)
            {
                await coldBoot.RunAsync(timer, stoppingToken).ConfigureAwait(false);
            }

            await timer.RunAsync("cache connect", () => cache.StartAsync(stoppingToken)).ConfigureAwait(false);
            logger.LogInformation("Connecting the {Transport} bus {Endpoint}, queue {Queue}", options.Value.EffectiveTransport,
                options.Value.EffectiveTransport == "RabbitMq" ? options.Value.RabbitMq.ToString() : "in-memory", options.Value.QueueName);
            await timer.RunAsync("bus connect", () => StartBusAsync(stoppingToken)).ConfigureAwait(false);
            _busStarted = true;
            var fallback = bootContext.Fallback is { } f ? new BootFallback(f.Kind.ToString(), f.Message) : null;
            var booted = new WorkerBooted(options.Value.EffectiveWorkerId, bootContext.Restored ? BootMode.Restored : BootMode.ColdBoot, fallback, bootContext.SnapshotId,
                [.. bootContext.EarlierPhases.Concat(timer.Phases).Select(p => new BootPhaseTiming(p.Name, p.Milliseconds, p.Detail))]);
            await bus.Publish(booted, stoppingToken).ConfigureAwait(false);
            logger.LogInformation("Worker {WorkerId} ready: {PhaseCount} boot phases, {TotalMs:0} ms", booted.WorkerId, booted.Phases.Count, booted.Phases.Sum(p => p.Ms));
            var phases = bootContext.EarlierPhases.Concat(timer.Phases).ToList();
            BootTrace.Emit(booted.WorkerId, booted.Mode.ToString(), fallback?.Kind, booted.SnapshotId, phases, time.GetUtcNow());
            metrics.Booted(booted.Mode.ToString(), phases.Sum(p => p.Milliseconds), fallback?.Kind);
            readiness.SetBooted(booted);
        }
        catch (Exception e)
        {
            readiness.SetFailed(e);
            throw;
        }
    }

    // On RabbitMQ, first contact: a refused login, a rejected certificate or no broker in time ends the boot in one line.
    private async Task StartBusAsync(CancellationToken stoppingToken)
    {
        if (options.Value.EffectiveTransport == "RabbitMq")
        {
            await RabbitMqBusStart.StartAsync(bus, rabbit.Value, certificates, brokerState, stoppingToken).ConfigureAwait(false);
            return;
        }

        await bus.StartAsync(stoppingToken).ConfigureAwait(false);
        // In memory there is no first contact to keep quiet: MassTransit's own log lines stay.
        brokerState.MarkConnected();
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_busStarted)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.Value.StopTimeout);
            await bus.StopAsync(timeout.Token).ConfigureAwait(false);
        }

        await base.StopAsync(cancellationToken).ConfigureAwait(false);
    }
}
