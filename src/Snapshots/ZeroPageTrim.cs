using System.Globalization;

namespace ComfySnap.Snapshots;

/// <summary>
/// Drops the all-zero pages of private anonymous memory from a criu image. criu skips only the
/// kernel's shared zero page, so a page the process faulted in but never wrote non-zero bytes to
/// (every 4 KiB of a transparent huge page that malloc marked, memory zero-filled and left unused)
/// is written to the image and written back, with one fault each, on every restore. A page of
/// private anonymous memory that the image does not list comes back zero-filled when first touched,
/// so leaving those pages out keeps the process's memory exactly as it was. Pages of file mappings
/// (whose missing pages come back from the file) and of mappings outside <c>regions</c> are kept.
/// Runs offline, on the dumped image: the process is gone, so no thread can race the check.
/// </summary>
public static class ZeroPageTrim
{
    public sealed record Result(long PagesBefore, long PagesDropped)
    {
        public long BytesDropped => PagesDropped * CriuPagemap.PageSize;
    }

    /// <summary>Rewrites pagemap-<paramref name="imageId"/>.img and its pages image in <paramref name="imageDirectory"/>.</summary>
    public static Result Apply(string imageDirectory, int imageId, IReadOnlyList<AnonymousRegions.Region> regions, CancellationToken cancellationToken)
    {
        var pagemapPath = Path.Combine(imageDirectory, $"pagemap-{imageId.ToString(CultureInfo.InvariantCulture)}.img");
        var pagemap = CriuPagemap.Read(pagemapPath);
        var pagesPath = Path.Combine(imageDirectory, $"pages-{pagemap.PagesId.ToString(CultureInfo.InvariantCulture)}.img");
        var kept = new List<CriuPagemap.Entry>();
        long before = 0, dropped = 0;
        var page = new byte[CriuPagemap.PageSize];
        using (var source = File.OpenRead(pagesPath))
        using (var target = File.Create(pagesPath + ".trim"))
        {
            foreach (var entry in pagemap.Entries)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (!entry.HasData)
                {
                    kept.Add(entry);
                    continue;
                }

                // Split the run into runs of kept pages; a zero page of anonymous memory ends one.
                ulong? runStart = null;
                ulong runPages = 0;
                for (ulong i = 0; i < entry.Pages; i++)
                {
                    source.ReadExactly(page);
                    before++;
                    var address = entry.Address + (i * CriuPagemap.PageSize);
                    if (IsZero(page) && regions.Any(r => r.Contains(address)))
                    {
                        dropped++;
                        Close();
                        continue;
                    }

                    target.Write(page);
                    runStart ??= address;
                    runPages++;
                }

                Close();

                void Close()
                {
                    if (runStart is { } start)
                    {
                        kept.Add(entry with { Address = start, Pages = runPages });
                    }

                    (runStart, runPages) = (null, 0);
                }
            }
        }

        if (dropped == 0)
        {
            File.Delete(pagesPath + ".trim");
            return new Result(before, 0);
        }

        (pagemap with { Entries = kept }).Write(pagemapPath + ".trim");
        File.Move(pagesPath + ".trim", pagesPath, overwrite: true);
        File.Move(pagemapPath + ".trim", pagemapPath, overwrite: true);
        return new Result(before, dropped);
    }

    private static bool IsZero(ReadOnlySpan<byte> page) => !page.ContainsAnyExcept((byte)0);
}
