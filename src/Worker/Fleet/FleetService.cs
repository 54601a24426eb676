using ComfySnap.Contracts;
using ComfySnap.Diffusion.Models;
using ComfySnap.Worker.Bus;
using ComfySnap.Worker.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ComfySnap.Worker.Fleet;

/// <summary>
/// Once the worker is ready, keeps its model-queue consumers in step with what it holds: after every
/// change (a job learned a set, a model loaded, failed or was unloaded) and every heartbeat interval,
/// it learns the sets the fleet registered and consumes exactly the queues of the sets it holds.
/// </summary>
public sealed class FleetService(
    WorkerReadiness readiness,
    FleetState state,
    FleetRegistry registry,
    ModelQueueEndpoints endpoints,
    IOptions<BusOptions> busOptions,
    IOptions<ModelStoreOptions> modelOptions,
    ILogger<FleetService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await readiness.Booted.WaitAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return; // a worker that failed to boot consumes nothing
        }

        // The preloaded models are sets of their own: jobs for them reach this worker from the start.
        var preloaded = modelOptions.Value.Preload.Select(p => ModelSet.Of([p])).OfType<ModelSet>().ToList();
        preloaded.ForEach(s => state.Learn(s));
        await registry.PutSetsAsync(preloaded).ConfigureAwait(false);

        var interval = busOptions.Value.HeartbeatInterval > TimeSpan.Zero ? busOptions.Value.HeartbeatInterval : TimeSpan.FromSeconds(2);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                foreach (var set in await registry.GetSetsAsync().ConfigureAwait(false))
                {
                    state.Learn(set);
                }

                await endpoints.ReconcileAsync(state.HeldSets(), stoppingToken).ConfigureAwait(false);
                await state.WaitForChangeAsync(interval, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // The broker or Redis is away: the next round tries again.
                logger.LogWarning("Model queues not reconciled: {Reason}", e.Message);
                await Task.Delay(interval, stoppingToken).ConfigureAwait(false);
            }
        }
    }
}
