using System.Runtime.InteropServices;

namespace ComfySnap.Bench;

/// <summary>
/// How much of a set of files is in the page cache right now (mincore over a read-only mapping):
/// the boot bench records it before every run, because this VM kind's host evicts idle file pages.
/// </summary>
public static class PageCacheState
{
    private const int ProtRead = 1;
    private const int MapShared = 1;

    /// <summary>Resident MiB of the files (missing or empty files count 0).</summary>
    public static double ResidentMiB(IEnumerable<string> paths) => paths.Sum(ResidentBytes) / 1048576.0;

    /// <summary>The system's 1-minute load average.</summary>
    public static double LoadAverage() =>
        double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);

    private static long ResidentBytes(string path)
    {
        if (!File.Exists(path) || new FileInfo(path).Length == 0)
        {
            return 0;
        }

        var length = new FileInfo(path).Length;
        using var handle = File.OpenHandle(path);
        var map = mmap(IntPtr.Zero, (nuint)length, ProtRead, MapShared, (int)handle.DangerousGetHandle(), 0);
        if (map == new IntPtr(-1))
        {
            return 0;
        }

        try
        {
            var pages = (length + Environment.SystemPageSize - 1) / Environment.SystemPageSize;
            var vector = new byte[pages];
            return mincore(map, (nuint)length, vector) == 0 ? vector.LongCount(b => (b & 1) != 0) * Environment.SystemPageSize : 0;
        }
        finally
        {
            _ = munmap(map, (nuint)length);
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern IntPtr mmap(IntPtr address, nuint length, int protection, int flags, int fd, long offset);

    [DllImport("libc", SetLastError = true)]
    private static extern int mincore(IntPtr address, nuint length, byte[] vector);

    [DllImport("libc", SetLastError = true)]
    private static extern int munmap(IntPtr address, nuint length);
}
