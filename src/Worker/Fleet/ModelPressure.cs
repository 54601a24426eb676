using ComfySnap.Contracts;

namespace ComfySnap.Worker.Fleet;

/// <summary>
/// How hard a model set's queue presses on the fleet: its ready jobs, its consumers and how long it has
/// had jobs waiting without a break (the age of the oldest waiting job, at most the queue's TTL).
/// </summary>
/// <param name="Set">The model set.</param>
/// <param name="Waiting">Ready jobs in its queue (prefetched and running ones are not counted).</param>
/// <param name="Consumers">Workers consuming its queue now.</param>
/// <param name="OldestWait">How long the queue has held waiting jobs without a break.</param>
public sealed record ModelPressure(ModelSet Set, uint Waiting, uint Consumers, TimeSpan OldestWait)
{
    /// <summary>Seconds one waiting job is worth against the oldest's wait (SwarmUI's model pressure weighs them so).</summary>
    public const double SecondsPerWaitingJob = 10;

    /// <summary>Higher presses harder: every waiting job counts as ten seconds of the oldest job's wait.</summary>
    public double Score => Waiting * SecondsPerWaitingJob + OldestWait.TotalSeconds;
}
