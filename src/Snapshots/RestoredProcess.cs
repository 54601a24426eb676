using System.Diagnostics;

namespace ComfySnap.Snapshots;

/// <summary>
/// A process tree restored by criu (detached). Its stdio pipes are the ones criu was started
/// with, so they are reached through the criu <see cref="Process"/> object even after criu exited.
/// </summary>
public sealed class RestoredProcess(int hostPid, Process criu) : IAsyncDisposable
{
    public int HostPid { get; } = hostPid;

    public StreamWriter StandardInput => criu.StandardInput;

    public StreamReader StandardOutput => criu.StandardOutput;

    public StreamReader StandardError => criu.StandardError;

    public bool IsAlive => ProcFs.IsAlive(HostPid);

    public Task WaitForExitAsync(CancellationToken cancellationToken) => ProcFs.WaitForExitAsync(HostPid, cancellationToken);

    /// <summary>Lets a process restored with <c>leaveStopped</c> run.</summary>
    public void Resume()
    {
        if (!PosixSignals.TrySend(HostPid, PosixSignals.SigCont, out var errno))
        {
            throw new CriuException($"could not resume restored pid {HostPid} (errno {errno})");
        }
    }

    public void Kill()
    {
        try
        {
            Process.GetProcessById(HostPid).Kill(entireProcessTree: true);
        }
        catch (ArgumentException)
        {
            // Already gone.
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await WaitForExitAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Leave it to the reaper.
        }

        criu.Dispose();
    }
}
