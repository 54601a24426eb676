using System.Runtime.InteropServices;

namespace ComfySnap.Snapshots;

/// <summary>kill(2), for what .NET has no API for: SIGCONT, and signals to a restored process we did not start.</summary>
public static class PosixSignals
{
    public const int SigInt = 2;
    public const int SigKill = 9;
    public const int SigTerm = 15;
    public const int SigCont = 18;
    public const int SigStop = 19;

    /// <summary>Sends <paramref name="signal"/>; false with the errno when it could not be sent.</summary>
    public static bool TrySend(int pid, int signal, out int errno)
    {
        var ok = kill(pid, signal) == 0;
        errno = ok ? 0 : Marshal.GetLastPInvokeError();
        return ok;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);
}
