using ComfySnap.Contracts;

namespace ComfySnap.Worker.Hosting;

/// <summary>Completes when the worker has booted and its bus consumes (or its boot failed).</summary>
public sealed class WorkerReadiness
{
    private readonly TaskCompletionSource<WorkerBooted> _booted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _cacheConnected = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<WorkerBooted> Booted => _booted.Task;

    /// <summary>
    /// Completes once the output cache (and with it the job leases' Redis) is connected. The bus starts
    /// beside that connect, so a job delivered first waits here: no job runs without its lease store.
    /// </summary>
    public Task CacheConnected => _cacheConnected.Task;

    internal void SetCacheConnected() => _cacheConnected.TrySetResult();

    internal void SetBooted(WorkerBooted booted) => _booted.TrySetResult(booted);

    internal void SetFailed(Exception e)
    {
        _cacheConnected.TrySetException(e);
        _booted.TrySetException(e);
    }
}
