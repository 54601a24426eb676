using System.Diagnostics;
using ComfySnap.Contracts;
using ComfySnap.Diffusion.Models;
using ComfySnap.ServiceDefaults.Routing;
using ComfySnap.Worker.Bus;
using ComfySnap.Worker.Fleet;
using ComfySnap.Worker.Jobs;
using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ComfySnap.Worker.Hosting;

/// <summary>
/// Publishes WorkerHeartbeat every Bus:HeartbeatInterval once the worker is ready (0 turns it off).
/// Starts after WorkerBooted, so a snapshot's prepared process never runs this timer before the
/// checkpoint; uptime is measured from readiness, in the process that serves. Each beat names the
/// models the worker holds and the model sets it serves, and is also kept in the fleet registry in
/// Redis (removed on a graceful stop).
/// </summary>
public sealed class HeartbeatService(
    WorkerReadiness readiness,
    IBus bus,
    JobCounters jobs,
    ModelStore models,
    FleetState fleet,
    FleetRegistry registry,
    ModelQueueEndpoints modelQueues,
    TimeProvider time,
    IOptions<BusOptions> options,
    IOptions<RoutingOptions> routing,
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
                ready.Elapsed.TotalMilliseconds, interval.TotalMilliseconds, time.GetUtcNow(), [.. models.Held.Select(h => h.Key)], ServedSets(), [.. fleet.Unloadable.Keys.Order(StringComparer.Ordinal)]);
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                timeout.CancelAfter(interval);
                await Task.WhenAll(bus.Publish(beat, timeout.Token), registry.PutWorkerAsync(beat)).ConfigureAwait(false);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // The broker is away: the next beat tries again; the gap is what operators see as stale.
                logger.LogWarning("Heartbeat of {WorkerId} not published: {Reason}", booted.WorkerId, e.Message);
            }
        }
        while (await WaitForNextTickAsync(timer, stoppingToken).ConfigureAwait(false));

        await registry.RemoveWorkerAsync(booted.WorkerId).ConfigureAwait(false);
    }

    // Stopping ends the loop normally, so the worker leaves the registry at once instead of going stale.
    private static async Task<bool> WaitForNextTickAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    // With routing on, the sets whose queues it consumes; else the sets it holds (for operators).
    private List<ModelSet> ServedSets()
    {
        var held = fleet.HeldSets();
        if (!routing.Value.Enabled)
        {
            return [.. held];
        }

        var consuming = modelQueues.Consuming.ToHashSet(StringComparer.Ordinal);
        return [.. held.Where(s => consuming.Contains(s.Key))];
    }
}
