using System.Diagnostics;
using ComfySnap.Contracts;
using ComfySnap.Worker.Bus;
using ComfySnap.Worker.Jobs;
using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ComfySnap.Worker.Hosting;

/// <summary>
/// Publishes WorkerHeartbeat every Bus:HeartbeatInterval once the worker is ready (0 turns it off).
/// Starts after WorkerBooted, so a snapshot's prepared process never runs this timer before the
/// checkpoint; uptime is measured from readiness, in the process that serves.
/// </summary>
public sealed class HeartbeatService(
    WorkerReadiness readiness,
    IBus bus,
    JobCounters jobs,
    TimeProvider time,
    IOptions<BusOptions> options,
    ILogger<HeartbeatService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.Value.HeartbeatInterval;
        if (interval <= TimeSpan.Zero)
        {
            return;
        }

        WorkerBooted booted;
        try
        {
            booted = await readiness.Booted.WaitAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return; // a worker that failed to boot has nothing to report; WorkerService logged it
        }

        var ready = Stopwatch.StartNew();
        using var timer = new PeriodicTimer(interval, time);
        do
        {
            var beat = new WorkerHeartbeat(booted.WorkerId, booted.Mode, booted.SnapshotId, jobs.Running, jobs.Done,
                ready.Elapsed.TotalMilliseconds, interval.TotalMilliseconds, time.GetUtcNow());
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                timeout.CancelAfter(interval);
                await bus.Publish(beat, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // The broker is away: the next beat tries again; the gap is what operators see as stale.
                logger.LogWarning("Heartbeat of {WorkerId} not published: {Reason}", booted.WorkerId, e.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }
}
