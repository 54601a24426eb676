using System.Globalization;

namespace ComfySnap.TestSupport;

/// <summary>How much of a process's memory carries the kernel's VM_HUGEPAGE flag (smaps lists it as "hg" in VmFlags).</summary>
public static class HugePageFlags
{
    /// <summary>Bytes of the regions of <paramref name="pid"/> (default: this process) flagged MADV_HUGEPAGE.</summary>
    public static long FlaggedBytes(int? pid = null)
    {
        var flagged = 0L;
        long size = 0;
        foreach (var line in File.ReadLines($"/proc/{pid?.ToString(CultureInfo.InvariantCulture) ?? "self"}/smaps"))
        {
            if (line.StartsWith("Size:", StringComparison.Ordinal))
            {
                size = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
            }
            else if (line.StartsWith("VmFlags:", StringComparison.Ordinal) && line.Split(' ').Contains("hg"))
            {
                flagged += size;
            }
        }

        return flagged;
    }
}
