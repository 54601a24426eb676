using ComfySnap.Contracts;

namespace ComfySnap.Worker.Fleet;

/// <summary>What a worker does with a job once it knows the job's model set.</summary>
public enum RoutingAction
{
    /// <summary>Run it here.</summary>
    Run,

    /// <summary>Send it back to the shared queue: a model of its set cannot load here, another live worker may load it.</summary>
    HandBack,

    /// <summary>Answer WorkflowFailed: no live worker is left that has not failed to load its model (or it was handed back too often).</summary>
    Fail,

    /// <summary>Send it to its model set's queue: it came without a model set and another live worker consumes that queue.</summary>
    Forward,

    /// <summary>
    /// Switch by restore: this worker hands its place to a copy restored from the set's snapshot (its
    /// supervisor has one parked) and stops; the job goes to its set's queue, which that copy consumes.
    /// </summary>
    Switch,
}

/// <summary>The decision and, for a hand-back or a failure, the model that could not load and why.</summary>
public sealed record RoutingDecision(RoutingAction Action, string? Model = null, string? Reason = null)
{
    public static readonly RoutingDecision Run = new(RoutingAction.Run);

    /// <summary>
    /// Decides before the job runs. A model that failed to load here is never tried again: the job is
    /// handed back while some live worker has not failed it yet, and fails otherwise. A job that came
    /// without a model set is forwarded to its set's queue when another live worker consumes it.
    /// </summary>
    /// <param name="self">This worker's id.</param>
    /// <param name="set">The job's model set (derived from its workflow), or null.</param>
    /// <param name="carried">The model set the job carried (null: its publisher sent none).</param>
    /// <param name="delivery">How it got here.</param>
    /// <param name="unloadableHere">The first model of the set that failed to load here, with the reason, or null.</param>
    /// <param name="holdsSet">True when every model of the set is loaded here.</param>
    /// <param name="live">The fleet's live workers (registry), this one included or not.</param>
    /// <param name="routingEnabled">Routing:Enabled.</param>
    /// <param name="forwardUnrouted">Routing:ForwardUnrouted.</param>
    /// <param name="maxHandBacks">Routing:MaxHandBacks.</param>
    public static RoutingDecision Before(string self, ModelSet? set, ModelSet? carried, JobDelivery delivery, (string Model, string Reason)? unloadableHere,
        bool holdsSet, IReadOnlyList<WorkerHeartbeat> live, bool routingEnabled, bool forwardUnrouted, int maxHandBacks)
    {
        if (unloadableHere is { } bad)
        {
            return AfterLoadFailure(self, set, delivery, bad.Model, bad.Reason, live, maxHandBacks);
        }

        if (routingEnabled && forwardUnrouted && set is not null && carried is null && delivery.Route == JobRoute.Shared && !holdsSet
            && live.Any(w => w.WorkerId != self && w.ModelSets?.Any(s => s.Key == set.Key) == true))
        {
            return new RoutingDecision(RoutingAction.Forward);
        }

        return Run;
    }

    /// <summary>
    /// Decides after <paramref name="model"/> failed to load here (or was known not to load here):
    /// hand the job back while a live worker that has not failed it remains and the hand-back bound
    /// allows, else fail.
    /// </summary>
    public static RoutingDecision AfterLoadFailure(string self, ModelSet? set, JobDelivery delivery, string model, string reason,
        IReadOnlyList<WorkerHeartbeat> live, int maxHandBacks)
    {
        var tried = delivery.HandedBackBy.Append(self).ToHashSet(StringComparer.Ordinal);
        var candidates = live.Where(w => !tried.Contains(w.WorkerId)
            && !(w.UnloadableModels ?? []).Intersect(set?.Models ?? [model], StringComparer.Ordinal).Any());
        return candidates.Any() && delivery.HandedBackBy.Count < maxHandBacks
            ? new RoutingDecision(RoutingAction.HandBack, model, reason)
            : new RoutingDecision(RoutingAction.Fail, model, reason);
    }
}
