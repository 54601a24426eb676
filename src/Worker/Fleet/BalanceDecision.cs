using ComfySnap.Contracts;

namespace ComfySnap.Worker.Fleet;

/// <summary>
/// Which model queue an idle worker takes on, and when it lets go of one it took on. Taking on a queue
/// means consuming it beside the shared queue: its first job loads the set's models (within the memory
/// budget), and from then on the worker holds the set like any other.
/// </summary>
public static class BalanceDecision
{
    /// <summary>
    /// The set under the most pressure that this worker may take on, or null. Only an idle worker with
    /// no job waiting in the queues of the sets it holds takes one on. A set is a candidate when jobs
    /// wait in its queue, it is not held here, none of its models failed to load here, its models fit the
    /// memory budget, and either nobody consumes its queue (holders gone or dead) or its jobs have waited
    /// at least <paramref name="takeOnAfter"/> (holders busy).
    /// </summary>
    /// <param name="pressures">The model queues that exist, with their depth.</param>
    /// <param name="held">Sets whose every model is loaded here.</param>
    /// <param name="idle">No job runs on this worker now.</param>
    /// <param name="loadableHere">False for a set one of whose models failed to load here, or that does not fit the budget.</param>
    /// <param name="takeOnAfter">Routing:TakeOnAfter.</param>
    public static ModelSet? Choose(IReadOnlyList<ModelPressure> pressures, IReadOnlyList<ModelSet> held, bool idle, Func<ModelSet, bool> loadableHere, TimeSpan takeOnAfter)
    {
        var heldKeys = held.Select(s => s.Key).ToHashSet(StringComparer.Ordinal);
        if (!idle || pressures.Any(p => heldKeys.Contains(p.Set.Key) && p.Waiting > 0))
        {
            return null;
        }

        return pressures
            .Where(p => p.Waiting > 0 && !heldKeys.Contains(p.Set.Key) && (p.Consumers == 0 || p.OldestWait >= takeOnAfter) && loadableHere(p.Set))
            .OrderByDescending(p => p.Score)
            .ThenBy(p => p.Set.Key, StringComparer.Ordinal)
            .Select(p => p.Set)
            .FirstOrDefault();
    }

    /// <summary>
    /// Whether a set taken on is kept. It is let go once held (it is consumed as a held set from then on),
    /// when one of its models failed to load here, and when the worker is idle and its queue has no waiting
    /// job left (another worker took them, or they spilled).
    /// </summary>
    public static bool Keep(ModelSet takenOn, ModelPressure? pressure, IReadOnlyList<ModelSet> held, bool idle, bool loadableHere) =>
        loadableHere
        && !held.Any(s => s.Key == takenOn.Key)
        && (!idle || pressure is { Waiting: > 0 });
}
