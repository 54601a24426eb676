using System.Collections.Concurrent;
using ComfySnap.Contracts;
using ComfySnap.Diffusion.Models;

namespace ComfySnap.Worker.Fleet;

/// <summary>
/// What this worker knows about model sets: the sets it has seen (in its jobs and in the fleet's
/// registry), the models that failed to load here (never tried again), the set it took on to relieve a
/// pressured queue (consumed before its models are loaded), and a signal that its holdings changed so
/// the model-queue consumers and the registry catch up.
/// </summary>
public sealed class FleetState(ModelStore models) : IDisposable
{
    private readonly ConcurrentDictionary<string, ModelSet> _known = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _unloadable = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ModelSet> _takenOn = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _switchFallbacks = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _changed = new(0, 1);

    /// <summary>Models that failed to load on this worker, with the reason.</summary>
    public IReadOnlyDictionary<string, string> Unloadable => _unloadable;

    public IReadOnlyCollection<ModelSet> Known => [.. _known.Values];

    /// <summary>Remembers a model set (a job's, or one from the registry); true when it was new.</summary>
    public bool Learn(ModelSet set)
    {
        var added = _known.TryAdd(set.Key, set);
        if (added)
        {
            Signal();
        }

        return added;
    }

    /// <summary>Sets taken on to relieve their queue: consumed although their models are not loaded here (yet).</summary>
    public IReadOnlyCollection<ModelSet> TakenOn => [.. _takenOn.Values];

    /// <summary>Consumes <paramref name="set"/>'s queue from the next reconcile on, before its models are loaded.</summary>
    public void TakeOn(ModelSet set)
    {
        if (_takenOn.TryAdd(set.Key, set))
        {
            Signal();
        }
    }

    /// <summary>Stops treating <paramref name="key"/> as taken on (it is held now, or no longer pressed, or cannot load here).</summary>
    public void LetGo(string key)
    {
        if (_takenOn.TryRemove(key, out _))
        {
            Signal();
        }
    }

    /// <summary>The sets whose queues this worker consumes: those it holds and those it took on.</summary>
    public IReadOnlyList<ModelSet> ConsumedSets() => [.. HeldSets().Concat(_takenOn.Values.Where(s => UnloadableIn(s) is null)).DistinctBy(s => s.Key)];

    /// <summary>
    /// Remembers why <paramref name="key"/>'s set is loaded here rather than switched to by restore: asked
    /// once per set (the supervisor is not asked again for every job), reported by the job that loads it.
    /// </summary>
    public void MarkSwitchFallback(string key, string reason) => _switchFallbacks[key] = reason;

    /// <summary>Why the set is loaded here instead of switched to by restore, or null (never asked, or switching is not configured).</summary>
    public string? SwitchFallbackFor(string? key) => key is not null && _switchFallbacks.TryGetValue(key, out var reason) ? reason : null;

    /// <summary>A model failed to load here: not tried again on this worker.</summary>
    public void MarkUnloadable(string model, string reason)
    {
        _unloadable[model] = reason;
        Signal();
    }

    /// <summary>The first of <paramref name="set"/>'s models that failed to load here, with its reason.</summary>
    public (string Model, string Reason)? UnloadableIn(ModelSet? set)
    {
        foreach (var model in set?.Models ?? [])
        {
            if (_unloadable.TryGetValue(model, out var reason))
            {
                return (model, reason);
            }
        }

        return null;
    }

    /// <summary>The known sets whose every model is loaded here now.</summary>
    public IReadOnlyList<ModelSet> HeldSets() => HeldSets(_known.Values, models.Held.Select(h => h.Key), _unloadable.Keys);

    /// <summary>The sets of <paramref name="known"/> whose every model is in <paramref name="loaded"/> and none unloadable.</summary>
    public static IReadOnlyList<ModelSet> HeldSets(IEnumerable<ModelSet> known, IEnumerable<string> loaded, IEnumerable<string> unloadable)
    {
        var have = loaded.ToHashSet(StringComparer.Ordinal);
        var bad = unloadable.ToHashSet(StringComparer.Ordinal);
        return [.. known.Where(s => s.Models.All(have.Contains) && !s.Models.Any(bad.Contains)).OrderBy(s => s.Key, StringComparer.Ordinal)];
    }

    /// <summary>Wakes <see cref="WaitForChangeAsync"/> (coalesced: one pending signal at most).</summary>
    public void Signal()
    {
        try
        {
            if (_changed.CurrentCount == 0)
            {
                _changed.Release();
            }
        }
        catch (SemaphoreFullException)
        {
            // already signalled
        }
    }

    public Task<bool> WaitForChangeAsync(TimeSpan timeout, CancellationToken cancellationToken) => _changed.WaitAsync(timeout, cancellationToken);

    public void Dispose() => _changed.Dispose();
}
