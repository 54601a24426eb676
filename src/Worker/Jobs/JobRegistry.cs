using System.Collections.Concurrent;

namespace ComfySnap.Worker.Jobs;

/// <summary>
/// Running jobs by JobId, so a CancelWorkflow stops exactly that one; cancels for jobs not running
/// here yet are remembered for a while and fail the job when it arrives.
/// </summary>
public sealed class JobRegistry(TimeProvider time)
{
    private static readonly TimeSpan RememberCancels = TimeSpan.FromHours(1);
    private readonly ConcurrentDictionary<string, CancellationTokenSource> _running = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _pendingCancels = new(StringComparer.Ordinal);

    /// <summary>Registers a running job; the returned source is cancelled by <see cref="Cancel"/>. Dispose the lease when done.</summary>
    public Lease Start(string jobId)
    {
        var source = new CancellationTokenSource();
        _running[jobId] = source;
        return new Lease(this, jobId, source);
    }

    /// <summary>Cancels a running job, or remembers the cancel for when it arrives. True when it was running here.</summary>
    public bool Cancel(string jobId)
    {
        if (_running.TryGetValue(jobId, out var source))
        {
            source.Cancel();
            return true;
        }

        var now = time.GetUtcNow();
        foreach (var (id, at) in _pendingCancels)
        {
            if (now - at > RememberCancels)
            {
                _pendingCancels.TryRemove(id, out _);
            }
        }

        _pendingCancels[jobId] = now;
        return false;
    }

    /// <summary>True (once) when a cancel arrived before the job.</summary>
    public bool TakePendingCancel(string jobId) => _pendingCancels.TryRemove(jobId, out _);

    /// <summary>A running job's registration.</summary>
    public sealed class Lease(JobRegistry registry, string jobId, CancellationTokenSource source) : IDisposable
    {
        public CancellationToken Token => source.Token;

        public bool IsCancellationRequested => source.IsCancellationRequested;

        public void Dispose()
        {
            registry._running.TryRemove(new KeyValuePair<string, CancellationTokenSource>(jobId, source));
            source.Dispose();
        }
    }
}
