using ComfySnap.Snapshots;

namespace ComfySnap.Bench;

/// <summary>A process's page faults so far (minor, major), or null once it is gone (read by <see cref="ProcFs.PageFaults"/>).</summary>
public readonly record struct ProcessFaults(long Minor, long Major)
{
    public static ProcessFaults? Of(int pid) => ProcFs.PageFaults(pid) is { } f ? new ProcessFaults(f.Minor, f.Major) : null;

    public static ProcessFaults operator -(ProcessFaults after, ProcessFaults before) => new(after.Minor - before.Minor, after.Major - before.Major);
}
