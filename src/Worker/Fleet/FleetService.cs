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
/// it learns the sets the fleet registered, balances (an idle worker takes on the most pressured
/// model queue) and consumes exactly the queues of the sets it holds or took on.
/// </summary>
public sealed class FleetService(
    WorkerReadiness readiness,
    FleetState state,
    FleetRegistry registry,
    ModelQueueEndpoints endpoints,
    ModelBalancer balancer,
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
        // Their queues first, before the registry and the first balance round (Redis and queue-depth round trips):
        // a copy restored to switch to its set is waited for by that set's jobs.
        await ReconcileHeldAsync(stoppingToken).ConfigureAwait(false);
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

                await BalanceAsync(stoppingToken).ConfigureAwait(false);
                await endpoints.ReconcileAsync(state.ConsumedSets(), stoppingToken).ConfigureAwait(false);
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

    private async Task ReconcileHeldAsync(CancellationToken stoppingToken)
    {
        try
        {
            await endpoints.ReconcileAsync(state.ConsumedSets(), stoppingToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
        {
            logger.LogWarning("Model queues not reconciled at start: {Reason}", e.Message);
        }
    }

    // A failed probe costs this round's balance only: the held sets' queues are still reconciled.
    private async Task BalanceAsync(CancellationToken stoppingToken)
    {
        try
        {
            await balancer.BalanceAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
        {
            logger.LogWarning("Model queue pressure not read this round: {Reason}", e.Message);
        }
    }
}
