using ComfySnap.Contracts;

namespace ComfySnap.Worker.Hosting;

/// <summary>Completes when the worker has booted and its bus consumes (or its boot failed).</summary>
public sealed class WorkerReadiness
{
    private readonly TaskCompletionSource<WorkerBooted> _booted = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<WorkerBooted> Booted => _booted.Task;

    internal void SetBooted(WorkerBooted booted) => _booted.TrySetResult(booted);

    internal void SetFailed(Exception e) => _booted.TrySetException(e);
}
