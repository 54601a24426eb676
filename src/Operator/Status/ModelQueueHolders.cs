using ComfySnap.Contracts;

namespace ComfySnap.Operator.Status;

/// <summary>The workers that serve a model set's queue: those alive, and those whose heartbeat is gone.</summary>
public sealed record ModelQueueHolders(IReadOnlyList<string> Live, IReadOnlyList<string> Dead)
{
    /// <summary>True when the set had holders and every one of them has gone silent: its jobs wait out the TTL, then spill.</summary>
    public bool AllDead => Live.Count == 0 && Dead.Count > 0;

    /// <summary>
    /// Sorts the workers serving <paramref name="set"/> by liveness, each judged by its newest heartbeat
    /// (heard on the bus or kept in the registry); stale after <see cref="StatusCommand.StaleAfterIntervals"/> intervals.
    /// </summary>
    public static ModelQueueHolders Of(ModelSet set, IEnumerable<WorkerHeartbeat> heartbeats, DateTimeOffset now)
    {
        var serving = heartbeats
            .GroupBy(h => h.WorkerId, StringComparer.Ordinal)
            .Select(g => g.MaxBy(h => h.SentAt)!)
            .Where(h => h.ModelSets?.Any(s => s.Key == set.Key) == true)
            .OrderBy(h => h.WorkerId, StringComparer.Ordinal)
            .ToList();
        var dead = serving.Where(h => StatusCommand.Liveness(h, now).Stale).Select(h => h.WorkerId).ToList();
        return new ModelQueueHolders([.. serving.Select(h => h.WorkerId).Except(dead)], dead);
    }
}
