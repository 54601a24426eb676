using System.Diagnostics;

namespace ComfySnap.Snapshots;

/// <summary>
/// A program started as PID 1 of its own PID namespace and as a session leader
/// (`unshare --pid --fork setsid ...`): the only shape CRIU can dump and restore many times side
/// by side. stdin/stdout/stderr are pipes owned by this object.
/// </summary>
public sealed class NamespacedProcess : IAsyncDisposable
{
    private readonly Process _unshare;

    private NamespacedProcess(Process unshare, int hostPid)
    {
        _unshare = unshare;
        HostPid = hostPid;
    }

    /// <summary>The host PID of the namespace's init (the program itself): what criu dumps.</summary>
    public int HostPid { get; }

    public StreamWriter StandardInput => _unshare.StandardInput;

    public StreamReader StandardOutput => _unshare.StandardOutput;

    public StreamReader StandardError => _unshare.StandardError;

    /// <summary>
    /// Starts a program in a fresh PID namespace (no --kill-child: a pdeath signal would be
    /// restored too and kill every restored copy when criu exits). A given environment replaces the inherited one
    /// entirely, so no secret of the parent leaks into a process that will be snapshotted.
    /// </summary>
    public static async Task<NamespacedProcess> StartAsync(
        string fileName,
        IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string>? environment,
        string? workingDirectory,
        CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo("unshare")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var a in new[] { "--pid", "--fork", "setsid", fileName }.Concat(arguments))
        {
            info.ArgumentList.Add(a);
        }

        if (environment is not null)
        {
            info.Environment.Clear();
            foreach (var (k, v) in environment)
            {
                info.Environment[k] = v;
            }
        }

        var unshare = Process.Start(info) ?? throw new InvalidOperationException("could not start unshare");
        try
        {
            var hostPid = await ProcFs.WaitForChildAsync(unshare.Id, TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
            return new NamespacedProcess(unshare, hostPid);
        }
        catch
        {
            unshare.Kill(entireProcessTree: true);
            unshare.Dispose();
            throw;
        }
    }

    /// <summary>The pipe keys ("pipe:[N]") of the program's stdio, needed for --inherit-fd at restore.</summary>
    public IReadOnlyDictionary<int, string> StdioKeys() =>
        new[] { 0, 1, 2 }.ToDictionary(fd => fd, fd => ProcFs.FdTarget(HostPid, fd) ?? throw new InvalidOperationException($"fd {fd} of {HostPid} is not readable"));

    /// <summary>Waits for unshare to end: it does when the namespace's init exits or is dumped and killed.</summary>
    public Task WaitForExitAsync(CancellationToken cancellationToken) => _unshare.WaitForExitAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_unshare.HasExited)
            {
                _unshare.Kill(entireProcessTree: true);
                await _unshare.WaitForExitAsync().ConfigureAwait(false);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        _unshare.Dispose();
    }
}
