using ComfySnap.Contracts;
using ComfySnap.ServiceDefaults.RabbitMq;
using ComfySnap.Worker.Boot;
using ComfySnap.Worker.Bus;
using ComfySnap.Worker.Caching;
using ComfySnap.Worker.Fleet;
using ComfySnap.Engine;
using ComfySnap.Worker.Telemetry;
using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ComfySnap.Worker.Hosting;

/// <summary>
/// The queue worker's boot: device, engine phases, cache and bus connect side by side (the bus is not
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
    SwitchArrival switchArrival,
    TimeProvider time,
    ILogger<WorkerService> logger) : BackgroundService
{
    private volatile bool _busStarted;
    private Task? _busStart;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            switchArrival.Mark("host-started");
            var timer = new PhaseTimer(logger);
            if (!bootContext.EngineBooted)
            {
                await coldBoot.RunAsync(timer, stoppingToken).ConfigureAwait(false);
            }

            // Redis and the broker are connected at the same time: each is a round trip (and a TLS handshake) to a server of its
            // own, and a switch's copy waits for both. A job the bus delivers first waits for the cache (WorkerReadiness).
            var cacheConnect = ConnectCacheAsync(timer, stoppingToken);
            _busStart = ConnectBusAsync(timer, stoppingToken);
            await cacheConnect.ConfigureAwait(false); // a refused Redis ends the boot at once, as before, not after the broker's timeout
            await _busStart.ConfigureAwait(false);
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

    private async Task ConnectCacheAsync(PhaseTimer timer, CancellationToken stoppingToken)
    {
        await timer.RunAsync("cache connect", () => cache.StartAsync(stoppingToken)).ConfigureAwait(false);
        readiness.SetCacheConnected();
        switchArrival.Mark("cache-connected");
    }

    private async Task ConnectBusAsync(PhaseTimer timer, CancellationToken stoppingToken)
    {
        logger.LogInformation("Connecting the {Transport} bus {Endpoint}, queue {Queue}", options.Value.EffectiveTransport,
            options.Value.EffectiveTransport == "RabbitMq" ? options.Value.RabbitMq.ToString() : "in-memory", options.Value.QueueName);
        await timer.RunAsync("bus connect", () => StartBusAsync(stoppingToken)).ConfigureAwait(false);
        _busStarted = true;
        switchArrival.Mark("bus-started");
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
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Value.StopTimeout);
        if (_busStart is { IsCompleted: false } starting)
        {
            // A boot that failed on Redis while the bus was still starting: that start ends (or fails) before the bus can be stopped.
            await Task.WhenAny(starting, Task.Delay(Timeout.Infinite, timeout.Token)).ConfigureAwait(false);
        }

        if (_busStarted)
        {
            await bus.StopAsync(timeout.Token).ConfigureAwait(false);
        }

        await base.StopAsync(cancellationToken).ConfigureAwait(false);
    }
}
