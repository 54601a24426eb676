using System.Collections.Concurrent;
using ComfySnap.Contracts;
using ComfySnap.Diffusion.Models;
using ComfySnap.Engine;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ComfySnap.Worker.Fleet;

/// <summary>
/// Keeps the models one worker holds within Models:MemoryBudget: before a job runs, the least
/// recently used models no running job needs are unloaded to make room for the ones it will load.
/// Unloading happens between workflow runs, with the node output cache cleared (cached loader
/// outputs point into the unloaded weights), and never touches a model a job has pinned.
/// </summary>
public sealed class ModelBudget(ModelStore models, WorkflowEngine engine, FleetState fleet, IOptions<ModelStoreOptions> options, ILogger<ModelBudget> logger)
{
    private readonly ConcurrentDictionary<string, int> _pins = new(StringComparer.Ordinal);

    /// <summary>Pins the job's models until the returned handle is disposed, unloading others first when they would not fit.</summary>
    public async Task<IDisposable> EnterAsync(ModelSet? set, CancellationToken cancellationToken)
    {
        var needed = set?.Models ?? [];
        foreach (var model in needed)
        {
            _pins.AddOrUpdate(model, 1, (_, n) => n + 1);
            // A loader node answered from the node output cache never asks the store: this is the use.
            models.MarkUsed(model);
        }

        var pin = new Pin(this, needed);
        try
        {
            if (options.Value.MemoryBudget > 0)
            {
                await TrimAsync(needed, cancellationToken).ConfigureAwait(false);
            }

            return pin;
        }
        catch
        {
            pin.Dispose();
            throw;
        }
    }

    private async Task TrimAsync(IReadOnlyList<string> needed, CancellationToken cancellationToken)
    {
        if (Choose(needed).Count == 0)
        {
            return;
        }

        var unloaded = new List<string>();
        await engine.WhenIdleAsync(nodeCache =>
        {
            // Chosen again under the engine's gate: another job may have loaded or pinned since.
            foreach (var key in Choose(needed))
            {
                if (models.Unload(key))
                {
                    unloaded.Add(key);
                }
            }

            if (unloaded.Count > 0)
            {
                nodeCache.Clear();
            }
        }, cancellationToken).ConfigureAwait(false);
        if (unloaded.Count > 0)
        {
            logger.LogInformation("Models:MemoryBudget {Budget} bytes: unloaded {Models} (least recently used) to make room for {Needed}",
                options.Value.MemoryBudget, string.Join(", ", unloaded), string.Join(", ", needed));
            fleet.Signal();
        }
    }

    private IReadOnlyList<string> Choose(IReadOnlyList<string> needed)
    {
        return ModelEviction.Choose(models.Held, _pins.Where(p => p.Value > 0).Select(p => p.Key).ToHashSet(StringComparer.Ordinal), options.Value.MemoryBudget, IncomingBytes(needed));
    }

    /// <summary>The set's model files not loaded here yet, with their sizes: what loading it would read.</summary>
    public IReadOnlyList<IncomingModel> Incoming(ModelSet set)
    {
        ArgumentNullException.ThrowIfNull(set);
        return [.. set.Models.Where(m => !models.IsLoaded(m)).Select(m => new IncomingModel(m, FileBytes(m)))];
    }

    private long IncomingBytes(IEnumerable<string> needed) => needed.Where(m => !models.IsLoaded(m)).Sum(FileBytes);

    /// <summary>True when the set's model files alone fit Models:MemoryBudget (always, without a budget).</summary>
    public bool Fits(ModelSet set) => options.Value.MemoryBudget <= 0 || set.Models.Sum(FileBytes) <= options.Value.MemoryBudget;

    /// <summary>The size of a model's file (kind/name), 0 when it cannot be resolved.</summary>
    public long FileBytes(string model)
    {
        var slash = model.IndexOf('/', StringComparison.Ordinal);
        return slash > 0 && models.TryResolve(model[..slash], model[(slash + 1)..]) is { } path ? new FileInfo(path).Length : 0;
    }

    private void Unpin(IReadOnlyList<string> needed)
    {
        foreach (var model in needed)
        {
            if (_pins.AddOrUpdate(model, 0, (_, n) => n - 1) <= 0)
            {
                _pins.TryRemove(new KeyValuePair<string, int>(model, 0));
            }
        }
    }

    private sealed class Pin(ModelBudget budget, IReadOnlyList<string> models) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                budget.Unpin(models);
            }
        }
    }
}
