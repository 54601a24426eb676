using System.Runtime.InteropServices;

namespace ComfySnap.Diffusion.Models;

/// <summary>
/// An advisory flock(2) on a file, held until disposed; shared or exclusive, across processes.
/// The file is opened with open(2) rather than a FileStream: .NET's own FileShare locking takes
/// flocks of its own (and is switched off in workers, DOTNET_SYSTEM_IO_DISABLEFILELOCKING), so it
/// could neither be relied on nor be mixed with these.
/// </summary>
public sealed partial class FileLock : IDisposable
{
    private const int OpenReadOnly = 0;
    private const int OpenReadWriteCreate = 2 | 0x40; // O_RDWR | O_CREAT
    private const int OpenCloseOnExec = 0x80000;
    private const int LockShared = 1;
    private const int LockExclusive = 2;
    private const int LockNonBlocking = 4;
    private const int LockRelease = 8;
    private const int WouldBlock = 11; // EWOULDBLOCK
    private const int Interrupted = 4; // EINTR

    private int _descriptor;

    private FileLock(int descriptor) => _descriptor = descriptor;

    /// <summary>Takes the lock now, or null when another open file holds a conflicting one (or the file is gone).</summary>
    public static FileLock? TryTake(string path, bool exclusive, bool create = false)
    {
        var descriptor = open(path, (create ? OpenReadWriteCreate : OpenReadOnly) | OpenCloseOnExec, Convert.ToInt32("644", 8));
        if (descriptor < 0)
        {
            var error = Marshal.GetLastPInvokeError();
            return error == 2 ? null : throw new IOException($"cannot open {path} to lock it (errno {error})");
        }

        while (flock(descriptor, (exclusive ? LockExclusive : LockShared) | LockNonBlocking) != 0)
        {
            var error = Marshal.GetLastPInvokeError();
            if (error == Interrupted)
            {
                continue;
            }

            _ = close(descriptor);
            return error == WouldBlock ? null : throw new IOException($"cannot lock {path} (errno {error})");
        }

        return new FileLock(descriptor);
    }

    /// <summary>Waits (polling, so it can be cancelled) until the lock is taken; the lock file is created when missing.</summary>
    public static async Task<FileLock> TakeAsync(string path, bool exclusive, TimeSpan poll, CancellationToken cancellationToken)
    {
        while (true)
        {
            var taken = TryTake(path, exclusive, create: true);
            if (taken is not null)
            {
                return taken;
            }

            await Task.Delay(poll, cancellationToken).ConfigureAwait(false);
        }
    }

    public void Dispose()
    {
        var descriptor = Interlocked.Exchange(ref _descriptor, -1);
        if (descriptor >= 0)
        {
            _ = flock(descriptor, LockRelease);
            _ = close(descriptor);
        }
    }

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags, int mode);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int flock(int descriptor, int operation);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int descriptor);
}
