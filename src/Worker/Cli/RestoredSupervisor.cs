using System.Runtime.InteropServices;
using ComfySnap.Snapshots;

namespace ComfySnap.Worker.Cli;

/// <summary>
/// Stays in front of a restored worker: copies its stdout/stderr to ours (the container's log),
/// forwards SIGTERM/SIGINT so it can finish or hand back its job, and ends when it ends.
/// </summary>
internal static class RestoredSupervisor
{
    public static async Task<int> RunAsync(RestoredProcess restored, CancellationToken cancellationToken)
    {
        await using var owned = restored;
        void Forward(PosixSignalContext context)
        {
            context.Cancel = true;
            if (!PosixSignals.TrySend(restored.HostPid, context.Signal == PosixSignal.SIGINT ? PosixSignals.SigInt : PosixSignals.SigTerm, out var errno))
            {
                Console.Error.WriteLine($"could not forward {context.Signal} to restored worker {restored.HostPid} (errno {errno})");
            }
        }

        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Forward);
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Forward);
        var stdout = restored.StandardOutput.BaseStream.CopyToAsync(Console.OpenStandardOutput(), CancellationToken.None);
        var stderr = restored.StandardError.BaseStream.CopyToAsync(Console.OpenStandardError(), CancellationToken.None);
        await restored.WaitForExitAsync(cancellationToken);
        await Task.WhenAny(Task.WhenAll(stdout, stderr), Task.Delay(2000, CancellationToken.None));
        return 0;
    }
}
