using System.Globalization;
using ComfySnap.Snapshots;

namespace ComfySnap.Worker.Fleet;

/// <summary>How long a switch by restore took, from the replaced worker's need to the copy consuming the set's queue, and where it went.</summary>
/// <param name="Total">Need -> consuming the set's queue.</param>
/// <param name="Phases">Each milestone's time since the need, in order (the supervisor's, then the copy's own).</param>
public sealed record SwitchTiming(TimeSpan Total, IReadOnlyList<PreparePhase> Phases)
{
    /// <summary>"parked=899 told-ready=901 ... consuming=2532": one word per milestone, for the log line and the bench.</summary>
    public string Describe() =>
        string.Join(' ', Phases.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Name}={p.Milliseconds:0}")));
}

/// <summary>
/// In a copy restored to take a switching worker's place: the set that worker needed and since when,
/// with the supervisor's milestones (parked, told ready, config handed), to which the copy adds its own
/// (booted, cache connected, bus started), so it reports how long the switch took and where the time
/// went once it consumes that set's queue (once).
/// </summary>
public sealed class SwitchArrival(TimeProvider time)
{
    private readonly Lock _lock = new();
    private (string Key, DateTimeOffset NeededAt, List<PreparePhase> Phases)? _pending;

    /// <summary>The set the copy was restored for, since when, and the milestones before its handshake (ms since the need).</summary>
    public void Expect(string setKey, DateTimeOffset neededAt, IEnumerable<PreparePhase> earlierPhases)
    {
        ArgumentNullException.ThrowIfNull(earlierPhases);
        lock (_lock)
        {
            _pending = (setKey, neededAt, [.. earlierPhases]);
        }
    }

    /// <summary>Records that <paramref name="milestone"/> was reached now (nothing when no switch is pending).</summary>
    public void Mark(string milestone)
    {
        lock (_lock)
        {
            if (_pending is { } pending)
            {
                pending.Phases.Add(new PreparePhase(milestone, (time.GetUtcNow() - pending.NeededAt).TotalMilliseconds, null));
            }
        }
    }

    /// <summary>The switch's timing when <paramref name="setKey"/> is the expected set (then forgotten); else null.</summary>
    public SwitchTiming? Arrived(string setKey)
    {
        lock (_lock)
        {
            if (_pending is not { } pending || pending.Key != setKey)
            {
                return null;
            }

            _pending = null;
            var total = time.GetUtcNow() - pending.NeededAt;
            return new SwitchTiming(total, [.. pending.Phases, new PreparePhase("consuming", total.TotalMilliseconds, null)]);
        }
    }
}
