using ComfySnap.Snapshots;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ComfySnap.Worker.Boot;

/// <summary>
/// Restored copies parked before their handshake (<see cref="SnapshotOptions.Standby"/>). Taking
/// one checks first that it is still current (same snapshot, worker build and model files): a
/// stale copy is killed and logged with the reason, never handed out.
/// </summary>
public sealed class StandbyPool(SnapshotRestorer restorer, IOptions<SnapshotOptions> options, ILogger<StandbyPool> logger) : IAsyncDisposable
{
    private readonly Queue<ParkedRestore> _parked = new();
    private readonly SemaphoreSlim _gate = new(1, 1);

    public int Count => _parked.Count;

    /// <summary>The host pids of the parked copies (for logs and operators).</summary>
    public IReadOnlyList<int> ParkedPids => [.. _parked.Select(p => p.Process.HostPid)];

    /// <summary>Restores copies until <see cref="SnapshotOptions.Standby"/> are parked; false when a restore is not possible.</summary>
    public async Task<bool> FillAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            while (_parked.Count < options.Value.Standby)
            {
                var (parked, failure) = await restorer.ParkAsync(cancellationToken);
                if (parked is null)
                {
                    logger.LogWarning("No standby copy: {FallbackKind}: {FallbackMessage}", failure!.Fallback!.Kind, failure.Fallback.Message);
                    return false;
                }

                logger.LogInformation("Standby copy of snapshot {SnapshotId} parked as pid {HostPid}", parked.Manifest.SnapshotId, parked.Process.HostPid);
                _parked.Enqueue(parked);
            }

            return true;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The oldest current copy, or null; stale copies met on the way are discarded.</summary>
    public async Task<ParkedRestore?> TakeAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            while (_parked.TryDequeue(out var parked))
            {
                if (await restorer.StaleReasonAsync(parked, cancellationToken) is not { } stale)
                {
                    return parked;
                }

                logger.LogWarning("Discarded standby copy pid {HostPid} of snapshot {SnapshotId}: {FallbackKind}: {FallbackMessage}",
                    parked.Process.HostPid, parked.Manifest.SnapshotId, stale.Kind, stale.Message);
                await parked.DisposeAsync();
            }

            return null;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        while (_parked.TryDequeue(out var parked))
        {
            await parked.DisposeAsync();
        }

        _gate.Dispose();
    }
}
