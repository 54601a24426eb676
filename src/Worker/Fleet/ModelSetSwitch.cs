using ComfySnap.Contracts;
using ComfySnap.ServiceDefaults.Routing;
using ComfySnap.Worker.Boot;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ComfySnap.Worker.Fleet;

/// <summary>What became of a worker's need for another model set.</summary>
/// <param name="Switching">A copy restored from the set's snapshot takes this worker's place: it stops now.</param>
/// <param name="FallbackReason">Why it loads the models itself instead (null when switching, or switching is not configured).</param>
public sealed record SwitchOutcome(bool Switching, string? FallbackReason)
{
    public static readonly SwitchOutcome NotConfigured = new(false, null);
}

/// <summary>
/// Switch by restore: a worker that must change model sets asks its `serve` supervisor for a copy
/// restored from that set's snapshot (Snapshot:ModelSets) and, once the copy is parked, stops like
/// on SIGTERM (its running job finishes, prefetched jobs go back to their queues, its registry entry
/// goes); the supervisor hands the copy its runtime config, under a worker id of its own, while this
/// process drains, so the two never consume under one worker id. It asks only when the set's expected
/// load is longer than the expected switch (SwitchCosts; Snapshot:SwitchMinBytes overrides). When that
/// says load, no snapshot fits, the worker is not a restored one, or the supervisor cannot restore it,
/// the worker loads the models itself and the reason is logged and carried by the job's timings.
/// </summary>
public sealed class ModelSetSwitch(
    SupervisorChannel channel,
    ModelBudget budget,
    SwitchCosts costs,
    IOptions<ModelSetSnapshotOptions> snapshots,
    IOptions<RoutingOptions> routing,
    IHostApplicationLifetime lifetime,
    TimeProvider time,
    ILogger<ModelSetSwitch> logger) : IDisposable
{
    // One request at a time: two sets asked for at once (balance and a job) would park two copies for one place.
    private readonly SemaphoreSlim _gate = new(1, 1);
    private int _switching;

    /// <summary>True once this worker is handing its place over (it takes no other switch).</summary>
    public bool Switching => Volatile.Read(ref _switching) == 1;

    /// <summary>Whether switching by restore is configured at all (routing on and at least one model set snapshot).</summary>
    public bool Configured => routing.Value.Enabled && snapshots.Value.ModelSets.Count > 0;

    /// <summary>
    /// Tries to hand this worker's place to a copy restored from a snapshot holding <paramref name="needed"/>.
    /// Switching: the caller must not load the set (the application is stopping). Otherwise the fallback reason.
    /// </summary>
    public async Task<SwitchOutcome> TryAsync(ModelSet needed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(needed);
        if (!Configured)
        {
            return SwitchOutcome.NotConfigured;
        }

        var neededAt = time.GetUtcNow();
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return Switching ? new SwitchOutcome(true, null) : await RequestAsync(needed, neededAt, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();

    private async Task<SwitchOutcome> RequestAsync(ModelSet needed, DateTimeOffset neededAt, CancellationToken cancellationToken)
    {
        if (WhyLoad(needed) is { } whyLoad)
        {
            return Fallback(needed, whyLoad);
        }

        var (name, whyNone) = ModelSetSnapshots.Fitting(snapshots.Value.ModelSets, needed);
        if (name is null)
        {
            return Fallback(needed, whyNone!);
        }

        var (ready, reason) = await channel.RequestSwitchAsync(name, needed.Key, neededAt, snapshots.Value.SwitchTimeout, cancellationToken).ConfigureAwait(false);
        if (!ready)
        {
            return Fallback(needed, $"snapshot {name}: {reason}");
        }

        if (Interlocked.Exchange(ref _switching, 1) == 0)
        {
            logger.LogInformation("Switching to model set {ModelSetKey} ({Models}) by restore: the supervisor parked a copy of snapshot {ModelSetSnapshot} {ParkMs:0} ms after it was needed; this worker stops and hands over its place",
                needed.Key, string.Join(", ", needed.Models), name, (time.GetUtcNow() - neededAt).TotalMilliseconds);
            lifetime.StopApplication();
        }

        return new SwitchOutcome(true, null);
    }

    // Null when a switch is worth it: by Snapshot:SwitchMinBytes where set, else by what loads and switches cost here.
    private string? WhyLoad(ModelSet needed)
    {
        var incoming = budget.Incoming(needed);
        if (snapshots.Value.SwitchMinBytes is { } minBytes)
        {
            var bytes = incoming.Sum(m => m.Bytes);
            return bytes >= minBytes ? null
                : $"{bytes / 1048576.0:0} MB to load, under Snapshot:SwitchMinBytes ({minBytes / 1048576.0:0} MB): loading is cheaper than replacing the worker";
        }

        var verdict = costs.Decide(incoming);
        logger.LogInformation("Model set {ModelSetKey}: {SwitchComparison} (from {ObservedLoads} load(s) and {ObservedSwitches} switch(es) observed here, priors otherwise)",
            needed.Key, verdict.Comparison, costs.Observed.Loads, costs.Observed.Switches);
        return verdict.Switch ? null : verdict.Comparison;
    }

    private SwitchOutcome Fallback(ModelSet needed, string reason)
    {
        logger.LogWarning("Model set {ModelSetKey} ({Models}) is loaded here instead of switching by restore: {SwitchFallbackReason}",
            needed.Key, string.Join(", ", needed.Models), reason);
        return new SwitchOutcome(false, reason);
    }
}
