namespace ComfySnap.Worker.Fleet;

/// <summary>
/// In a copy restored to take a switching worker's place: the set that worker needed and since when,
/// so the copy reports how long the switch took once it consumes that set's queue (once).
/// </summary>
public sealed class SwitchArrival(TimeProvider time)
{
    private readonly Lock _lock = new();
    private (string Key, DateTimeOffset NeededAt)? _pending;

    public void Expect(string setKey, DateTimeOffset neededAt)
    {
        lock (_lock)
        {
            _pending = (setKey, neededAt);
        }
    }

    /// <summary>The time from the need to now, when <paramref name="setKey"/> is the expected set (then forgotten); else null.</summary>
    public TimeSpan? Arrived(string setKey)
    {
        lock (_lock)
        {
            if (_pending is not { } pending || pending.Key != setKey)
            {
                return null;
            }

            _pending = null;
            return time.GetUtcNow() - pending.NeededAt;
        }
    }
}
