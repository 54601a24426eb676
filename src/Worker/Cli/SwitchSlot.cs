using ComfySnap.Snapshots;
using ComfySnap.Worker.Boot;
using Microsoft.Extensions.Logging;

namespace ComfySnap.Worker.Cli;

/// <summary>A model-set snapshot's copy parked for a worker that asked to switch to it.</summary>
/// <remarks>ParkedAt: when the copy was parked; ToldReadyAt: when the asking worker was told READY (null before).</remarks>
internal sealed record ParkedSwitch(SwitchRequest Request, ParkedRestore Copy, DateTimeOffset ParkedAt, DateTimeOffset? ToldReadyAt = null)
{
    /// <summary>The switch's milestones so far, in ms since the worker needed the set: the copy adds its own and logs them.</summary>
    public IReadOnlyList<PreparePhase> Milestones(DateTimeOffset configHandedAt) =>
    [
        new("parked", (ParkedAt - Request.NeededAt).TotalMilliseconds, null),
        new("told-ready", ((ToldReadyAt ?? ParkedAt) - Request.NeededAt).TotalMilliseconds, null),
        new("config-handed", (configHandedAt - Request.NeededAt).TotalMilliseconds, null),
    ];
}

/// <summary>
/// The supervisor's side of switch by restore: parks a copy of the requested set's snapshot
/// (restored, stopped before its handshake: no connection, no config) and, once the asking worker
/// was told READY, hands it the runtime config. At most one copy waits; a newer request replaces it.
/// </summary>
internal sealed class SwitchSlot(SnapshotRestorer restorer, string? modelSetDirectory, ILogger logger) : IAsyncDisposable
{
    private readonly Lock _lock = new();
    private ParkedSwitch? _parked;
    private TaskCompletionSource _answered = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once a parked copy's READY reached the asking worker: the copy may be handed over.</summary>
    public Task Released
    {
        get
        {
            lock (_lock)
            {
                return _answered.Task;
            }
        }
    }

    /// <summary>The answer was written to the asking worker; when it was READY, <see cref="Released"/> completes.</summary>
    public void MarkAnswered()
    {
        lock (_lock)
        {
            if (_parked is not null)
            {
                _parked = _parked with { ToldReadyAt = DateTimeOffset.UtcNow };
                _answered.TrySetResult();
            }
        }
    }

    /// <summary>Parks a copy for <paramref name="request"/>; the protocol line that answers the worker.</summary>
    public async Task<string> ParkAsync(SwitchRequest request, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(modelSetDirectory))
        {
            return Refuse(request, "no Snapshot:ModelSetDirectory configured on the supervisor");
        }

        await DiscardAsync();
        var (copy, failure) = await restorer.ParkAsync(Path.Combine(modelSetDirectory, request.Name), cancellationToken);
        if (copy is null)
        {
            return Refuse(request, $"{failure!.Fallback!.Kind}: {failure.Fallback.Message}");
        }

        lock (_lock)
        {
            _parked = new ParkedSwitch(request, copy, DateTimeOffset.UtcNow);
        }

        logger.LogInformation("Parked a copy of model-set snapshot {ModelSetSnapshot} ({SnapshotId}) as pid {HostPid} for the switch to {ModelSetKey}",
            request.Name, copy.Manifest.SnapshotId, copy.Process.HostPid, request.SetKey);
        return SwitchProtocol.Ready(request.Name);
    }

    /// <summary>The parked copy, if a switch is pending (taken: the caller hands it over or disposes it).</summary>
    public ParkedSwitch? TakeParked()
    {
        lock (_lock)
        {
            var parked = _parked;
            _parked = null;
            if (_answered.Task.IsCompleted)
            {
                _answered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            return parked;
        }
    }

    /// <summary>The switching worker was told to go: the parked copy gets the runtime config (its own worker id) and takes its place.</summary>
    public async Task<RestoredProcess?> HandOverAsync(ParkedSwitch parked, ResumeConfig config, CancellationToken cancellationToken)
    {
        var outcome = await restorer.HandshakeAsync(parked.Copy,
            config with { SwitchedToSet = parked.Request.SetKey, SwitchNeededAt = parked.Request.NeededAt, SwitchPhases = parked.Milestones(DateTimeOffset.UtcNow) },
            cancellationToken);
        if (!outcome.Restored)
        {
            logger.LogError("The copy of model-set snapshot {ModelSetSnapshot} failed its handshake: {FallbackKind}: {FallbackMessage}",
                parked.Request.Name, outcome.Fallback!.Kind, outcome.Fallback.Message);
            return null;
        }

        logger.LogInformation("Switched to model-set snapshot {ModelSetSnapshot} for {ModelSetKey}: pid {HostPid} booted {SwitchMs:0} ms after the set was needed",
            parked.Request.Name, parked.Request.SetKey, outcome.Process!.HostPid, (DateTimeOffset.UtcNow - parked.Request.NeededAt).TotalMilliseconds);
        return outcome.Process;
    }

    public async ValueTask DisposeAsync() => await DiscardAsync();

    private async Task DiscardAsync()
    {
        if (TakeParked() is { } stale)
        {
            await stale.Copy.DisposeAsync();
        }
    }

    private string Refuse(SwitchRequest request, string reason)
    {
        logger.LogWarning("Cannot switch to model-set snapshot {ModelSetSnapshot} for {ModelSetKey}: {SwitchFallbackReason}", request.Name, request.SetKey, reason);
        return SwitchProtocol.Refused(request.Name, reason);
    }
}
