using System.Runtime.InteropServices;
using ComfySnap.Snapshots;
using ComfySnap.Worker.Boot;
using Microsoft.Extensions.Logging;

namespace ComfySnap.Worker.Cli;

/// <summary>
/// Stays in front of a restored worker: copies its stdout/stderr to ours (the container's log),
/// forwards SIGTERM/SIGINT so it can finish or hand back its job, and ends when it ends. With
/// standby copies (Snapshot:Standby) a worker that dies unasked is replaced by a parked copy
/// (handshake only), or by a fresh restore when none is current, and the standby is refilled.
/// </summary>
internal static class RestoredSupervisor
{
    public static async Task<int> RunAsync(
        RestoredProcess first, SnapshotRestorer restorer, StandbyPool standby, ResumeConfig config, ILogger logger, CancellationToken cancellationToken)
    {
        await using var pool = standby;
        var active = first;
        var stopping = false;
        void Forward(PosixSignalContext context)
        {
            context.Cancel = true;
            stopping = true;
            if (!PosixSignals.TrySend(active.HostPid, context.Signal == PosixSignal.SIGINT ? PosixSignals.SigInt : PosixSignals.SigTerm, out var errno))
            {
                Console.Error.WriteLine($"could not forward {context.Signal} to restored worker {active.HostPid} (errno {errno})");
            }
        }

        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Forward);
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Forward);
        var refill = pool.FillAsync(cancellationToken);
        while (true)
        {
            await using (active)
            {
                var stdout = active.StandardOutput.BaseStream.CopyToAsync(Console.OpenStandardOutput(), CancellationToken.None);
                var stderr = active.StandardError.BaseStream.CopyToAsync(Console.OpenStandardError(), CancellationToken.None);
                await active.WaitForExitAsync(cancellationToken);
                await Task.WhenAny(Task.WhenAll(stdout, stderr), Task.Delay(2000, CancellationToken.None));
            }

            if (stopping || cancellationToken.IsCancellationRequested)
            {
                await refill;
                return 0;
            }

            await refill;
            logger.LogWarning("Restored worker pid {HostPid} ended unasked; replacing it", active.HostPid);
            var next = await ReplaceAsync(restorer, pool, config, logger, cancellationToken);
            if (next is null)
            {
                return 1;
            }

            active = next;
            refill = pool.FillAsync(cancellationToken);
        }
    }

    private static async Task<RestoredProcess?> ReplaceAsync(SnapshotRestorer restorer, StandbyPool pool, ResumeConfig config, ILogger logger, CancellationToken cancellationToken)
    {
        var outcome = await pool.TakeAsync(cancellationToken) is { } parked
            ? await restorer.HandshakeAsync(parked, config, cancellationToken)
            : await restorer.RestoreAsync(config, cancellationToken);
        if (!outcome.Restored)
        {
            logger.LogError("Could not replace the restored worker: {FallbackKind}: {FallbackMessage}", outcome.Fallback!.Kind, outcome.Fallback.Message);
            return null;
        }

        logger.LogInformation("Replacement worker pid {HostPid} ready in {HandshakeMs:0} ms", outcome.Process!.HostPid,
            outcome.Phases.FirstOrDefault(p => p.Name == "handshake")?.Milliseconds ?? 0);
        return outcome.Process;
    }
}
