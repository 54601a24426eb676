using System.Globalization;

namespace ComfySnap.Snapshots;

/// <summary>
/// The private anonymous memory of a process as /proc/PID/maps lists it: writable private mappings
/// with no file behind them (malloc arenas, the GC heap, [heap], thread stacks), not the main stack.
/// A page of such a region that is missing from a snapshot comes back zero-filled on restore.
/// </summary>
public static class AnonymousRegions
{
    public readonly record struct Region(ulong Start, ulong End)
    {
        public long Length => (long)(End - Start);

        public bool Contains(ulong address) => address >= Start && address < End;
    }

    /// <summary>The regions of <paramref name="pid"/> ("self" when null), in address order.</summary>
    public static IReadOnlyList<Region> Of(int? pid = null) =>
        [.. File.ReadLines($"/proc/{pid?.ToString(CultureInfo.InvariantCulture) ?? "self"}/maps").Select(Parse).OfType<Region>()];

    /// <summary>One maps line ("start-end perms offset dev inode [path]") as a region, or null when it is not private anonymous memory.</summary>
    public static Region? Parse(string mapsLine)
    {
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
        return new Region(
            ulong.Parse(range[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture),
            ulong.Parse(range[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture));
    }
}
