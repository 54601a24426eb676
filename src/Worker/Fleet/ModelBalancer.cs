using ComfySnap.Contracts;
using ComfySnap.ServiceDefaults.Routing;
using ComfySnap.Worker.Bus;
using ComfySnap.Worker.Jobs;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ComfySnap.Worker.Fleet;

/// <summary>
/// Pressure relief before the TTL: an idle worker with no job waiting for what it holds takes on the
/// model queue under the most pressure (waiting jobs and the age of the oldest) and lets go of it once
/// it holds the set (or the jobs are gone). A set with a model that failed to load here, or that does
/// not fit Models:MemoryBudget, is never taken on. Busy workers do not probe.
/// </summary>
public sealed class ModelBalancer(
    FleetState state,
    FleetRegistry registry,
    ModelQueueDepths depths,
    JobCounters jobs,
    ModelBudget budget,
    ModelSetSwitch modelSetSwitch,
    IOptions<RoutingOptions> routingOptions,
    IOptions<BusOptions> busOptions,
    TimeProvider time,
    ILogger<ModelBalancer> logger)
{
    private readonly ModelRoutes _routes = new(busOptions.Value.QueueName);
    private readonly Dictionary<string, DateTimeOffset> _takenOnAt = new(StringComparer.Ordinal);

    /// <summary>One round: probe the known sets' queues, let go of what no longer needs this worker, take on the most pressed set.</summary>
    public async Task BalanceAsync(CancellationToken cancellationToken)
    {
        var options = routingOptions.Value;
        var idle = jobs.Running == 0;
        var takenOn = state.TakenOn;
        if (!options.Enabled || !options.Balance || modelSetSwitch.Switching || busOptions.Value.EffectiveTransport != "RabbitMq" || (!idle && takenOn.Count == 0))
        {
            return;
        }

        var known = state.Known.ToDictionary(s => s.Key, StringComparer.Ordinal);
        var probed = await depths.ProbeAsync(known.Keys, cancellationToken).ConfigureAwait(false);
        var now = time.GetUtcNow();
        var since = await registry.ObserveWaitingAsync(probed.ToDictionary(p => p.Key, p => p.Value.Ready, StringComparer.Ordinal), now).ConfigureAwait(false);
        var pressures = probed
            .Select(p => new ModelPressure(known[p.Key], p.Value.Ready, p.Value.Consumers, OldestWait(since, p.Key, now, options.ModelQueueWait)))
            .ToList();

        var held = state.HeldSets();
        foreach (var set in takenOn)
        {
            if (!BalanceDecision.Keep(set, pressures.Find(p => p.Set.Key == set.Key), held, idle, LoadableHere(set)))
            {
                state.LetGo(set.Key);
                logger.LogInformation("Letting go of model queue {Queue}: {Why}", _routes.ModelQueue(set.Key),
                    held.Any(s => s.Key == set.Key) ? "its models are loaded here now" : LoadableHere(set) ? "no job waits in it" : "its models cannot load here");
                if (_takenOnAt.Remove(set.Key, out var takenOnAt) && held.Any(s => s.Key == set.Key))
                {
                    logger.LogInformation("Switched to model set {ModelSetKey} by load: held {SwitchByLoadMs:0} ms after it was taken on", set.Key, (now - takenOnAt).TotalMilliseconds);
                }
            }
        }

        if (state.TakenOn.Count > 0 || BalanceDecision.Choose(pressures, held, idle, LoadableHere, options.TakeOnAfter) is not { } chosen)
        {
            return;
        }

        // Switch by restore first: a copy restored from the set's snapshot takes this worker's place.
        if (state.SwitchFallbackFor(chosen.Key) is null && modelSetSwitch.Configured)
        {
            var outcome = await modelSetSwitch.TryAsync(chosen, cancellationToken).ConfigureAwait(false);
            if (outcome.Switching)
            {
                return;
            }

            state.MarkSwitchFallback(chosen.Key, outcome.FallbackReason!);
        }

        var pressure = pressures.First(p => p.Set.Key == chosen.Key);
        logger.LogInformation("Taking on model queue {Queue} for {Models}: {Waiting} jobs waiting for {OldestWaitSeconds:0.0} s, {Consumers} consumers (score {Score:0.0})",
            _routes.ModelQueue(chosen.Key), string.Join(", ", chosen.Models), pressure.Waiting, pressure.OldestWait.TotalSeconds, pressure.Consumers, pressure.Score);
        _takenOnAt[chosen.Key] = now;
        state.TakeOn(chosen);
    }

    private bool LoadableHere(ModelSet set) => state.UnloadableIn(set) is null && budget.Fits(set);

    // No job waits in a model queue longer than its TTL, whatever the record says (it is refreshed only by idle workers).
    private static TimeSpan OldestWait(IReadOnlyDictionary<string, DateTimeOffset> since, string key, DateTimeOffset now, TimeSpan ttl) =>
        since.TryGetValue(key, out var at) ? TimeSpan.FromTicks(Math.Clamp((now - at).Ticks, 0, ttl.Ticks)) : TimeSpan.Zero;
}
