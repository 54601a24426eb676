using System.Diagnostics;

namespace ComfySnap.Snapshots;

/// <summary>
/// criu's lazy-pages daemon: serves a restored process's memory pages on demand (userfaultfd), so
/// it runs before all of its memory is copied in. It exits by itself once every page has been
/// transferred; disposing it before a restore used it stops it.
/// </summary>
public sealed class LazyPagesDaemon(Process daemon, string socketPath) : IDisposable
{
    private bool _used;

    /// <summary>criu restore connects to the daemon's socket in the work dir: waits until it exists.</summary>
    public async Task WaitUntilListeningAsync(CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        while (!File.Exists(socketPath))
        {
            if (daemon.HasExited)
            {
                throw new CriuException($"criu lazy-pages exited with code {daemon.ExitCode} before listening");
            }

            if (watch.Elapsed > TimeSpan.FromSeconds(10))
            {
                throw new CriuException("criu lazy-pages did not listen within 10 s");
            }

            await Task.Delay(2, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>A restore connected: from now on the daemon ends by itself when all pages are in.</summary>
    internal void HandedOver() => _used = true;

    public void Dispose()
    {
        if (!_used && !daemon.HasExited)
        {
            daemon.Kill();
        }

        daemon.Dispose();
    }
}
