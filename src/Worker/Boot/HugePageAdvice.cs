using System.Globalization;
using System.Runtime.InteropServices;

namespace ComfySnap.Worker.Boot;

/// <summary>
/// Marks the process's private anonymous memory MADV_HUGEPAGE just before the dump. criu keeps the
/// mark in the image and restores those regions with it, so their pages come back as 2 MiB
/// transparent huge pages: one fault per 512 pages. On hosts where every first touch of a 4 KiB
/// page costs 14-20 us (the AMD EPYC hosts of this VM kind) that is most of criu's restore time,
/// and it needs no system setting (THP stays in its default "madvise" mode).
/// </summary>
public static partial class HugePageAdvice
{
    private const int MadvHugepage = 14;
    private const long HugePageBytes = 2 * 1024 * 1024;

    /// <summary>Regions marked and their size in bytes. Regions smaller than one huge page cannot hold one and are left alone.</summary>
    public static (int Regions, long Bytes) MarkAnonymousRegions()
    {
        var (regions, bytes) = (0, 0L);
        foreach (var line in File.ReadLines("/proc/self/maps"))
        {
            if (ParsePrivateAnonymous(line) is not { } region || region.Length < HugePageBytes)
            {
                continue;
            }

            if (madvise((nint)region.Start, (nuint)region.Length, MadvHugepage) == 0)
            {
                regions++;
                bytes += region.Length;
            }
        }

        return (regions, bytes);
    }

    /// <summary>A writable private mapping with no file behind it (malloc arenas, the GC heap, [heap]); not stacks.</summary>
    public static (ulong Start, long Length)? ParsePrivateAnonymous(string mapsLine)
    {
        // "start-end perms offset dev inode [path]"
        var fields = mapsLine.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 5 || fields[1] != "rw-p" || fields[4] != "0")
        {
            return null;
        }

        var path = fields.Length == 6 ? fields[5].Trim() : "";
        if (path is not ("" or "[heap]"))
        {
            return null;
        }

        var range = fields[0].Split('-');
        var start = ulong.Parse(range[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        var end = ulong.Parse(range[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        return (start, (long)(end - start));
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int madvise(nint address, nuint length, int advice);
}
