using ComfySnap.Diffusion.Models;

namespace ComfySnap.Bench;

/// <summary>
/// How much of a set of files is in the page cache right now (mincore, <see cref="PageCache.ResidentBytes"/>):
/// the boot bench records it before every run, because this VM kind's host evicts idle file pages.
/// </summary>
public static class PageCacheState
{
    /// <summary>Resident MiB of the files (missing or empty files count 0).</summary>
    public static double ResidentMiB(IEnumerable<string> paths) => paths.Sum(PageCache.ResidentBytes) / 1048576.0;

    /// <summary>The system's 1-minute load average.</summary>
    public static double LoadAverage() =>
        double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
}
