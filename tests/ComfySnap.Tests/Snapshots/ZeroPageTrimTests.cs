using ComfySnap.Snapshots;
using ComfySnap.TestSupport;

namespace ComfySnap.Tests.Snapshots;

public sealed class ZeroPageTrimTests
{
    private const int Page = CriuPagemap.PageSize;
    private const ulong Anonymous = 0x7f0000000000;
    private const ulong FileBacked = 0x7f1000000000;

    [Fact]
    public void Zero_pages_of_anonymous_memory_leave_the_image_and_everything_else_stays_in_order()
    {
        var images = TestEnvironment.NewTempDirectory("zero-trim");
        // Anonymous run: data, zero, zero, data. File-backed run: zero, data (a missing page there
        // would come back from the file, so its zero page stays). A parent run has no bytes here.
        var pages = new[] { Filled(1), Filled(0), Filled(0), Filled(2), Filled(0), Filled(3) };
        new CriuPagemap(7, [
            new(Anonymous, 4, CriuPagemap.FlagPresent),
            new(FileBacked, 2, CriuPagemap.FlagPresent),
            new(FileBacked + (16 * Page), 3, 1, InParent: true),
        ]).Write(Path.Combine(images, "pagemap-1.img"));
        File.WriteAllBytes(Path.Combine(images, "pages-7.img"), [.. pages.SelectMany(p => p)]);

        var result = ZeroPageTrim.Apply(images, 1, [new(Anonymous, Anonymous + (64 * Page))], CancellationToken.None);

        Assert.Equal((6L, 2L), (result.PagesBefore, result.PagesDropped));
        var trimmed = CriuPagemap.Read(Path.Combine(images, "pagemap-1.img"));
        Assert.Equal(7u, trimmed.PagesId);
        Assert.Equal(
            [
                new(Anonymous, 1, CriuPagemap.FlagPresent),
                new(Anonymous + (3 * Page), 1, CriuPagemap.FlagPresent),
                new(FileBacked, 2, CriuPagemap.FlagPresent),
                new(FileBacked + (16 * Page), 3, 1, InParent: true),
            ],
            trimmed.Entries);
        Assert.Equal([.. pages[0], .. pages[3], .. pages[4], .. pages[5]], File.ReadAllBytes(Path.Combine(images, "pages-7.img")));
    }

    [Fact]
    public void An_image_without_zero_pages_is_left_untouched()
    {
        var images = TestEnvironment.NewTempDirectory("zero-trim");
        new CriuPagemap(1, [new(Anonymous, 2, CriuPagemap.FlagPresent)]).Write(Path.Combine(images, "pagemap-1.img"));
        File.WriteAllBytes(Path.Combine(images, "pages-1.img"), [.. Filled(4), .. Filled(5)]);
        var written = File.GetLastWriteTimeUtc(Path.Combine(images, "pagemap-1.img"));

        var result = ZeroPageTrim.Apply(images, 1, [new(Anonymous, Anonymous + (2 * Page))], CancellationToken.None);

        Assert.Equal(0, result.PagesDropped);
        Assert.Equal(written, File.GetLastWriteTimeUtc(Path.Combine(images, "pagemap-1.img")));
        Assert.Equal([Path.Combine(images, "pagemap-1.img"), Path.Combine(images, "pages-1.img")], Directory.GetFiles(images).Order());
    }

    [Fact]
    public void Something_else_than_a_pagemap_is_refused()
    {
        var images = TestEnvironment.NewTempDirectory("zero-trim");
        File.WriteAllBytes(Path.Combine(images, "pagemap-1.img"), new byte[16]);

        Assert.Throws<InvalidDataException>(() => ZeroPageTrim.Apply(images, 1, [], CancellationToken.None));
    }

    private static byte[] Filled(byte value)
    {
        var page = new byte[Page];
        if (value != 0)
        {
            page[0] = value;
            page[Page - 1] = value;
        }

        return page;
    }
}
