using System.Runtime.InteropServices;
using ComfySnap.Snapshots;

namespace ComfySnap.Worker.Boot;

/// <summary>
/// Marks the process's private anonymous memory MADV_HUGEPAGE just before the dump. criu keeps the
/// mark in the image; a criu built with deploy/criu/restore-hugepages.patch applies it before it
/// writes the pages back, so they return as 2 MiB pages (a third of the restore faults measured on
/// AMD EPYC hosts, no system setting: THP stays in "madvise" mode). Stock criu applies it only
/// afterwards, so there the restore still faults 4 KiB pages (docs/snapshots.md).
/// </summary>
public static partial class HugePageAdvice
{
    private const int MadvHugepage = 14;
    private const long HugePageBytes = 2 * 1024 * 1024;

    /// <summary>Regions marked and their size in bytes. Regions smaller than one huge page cannot hold one and are left alone.</summary>
    public static (int Regions, long Bytes) MarkAnonymousRegions()
    {
        var (regions, bytes) = (0, 0L);
        foreach (var region in AnonymousRegions.Of())
        {
            if (region.Length < HugePageBytes)
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

    [LibraryImport("libc", SetLastError = true)]
    private static partial int madvise(nint address, nuint length, int advice);
}
