using ComfySnap.Snapshots;
using ComfySnap.Tests.Support;
using ComfySnap.Worker.Boot;

namespace ComfySnap.Tests.Snapshots;

/// <summary>
/// The worker's malloc marks its heaps MADV_HUGEPAGE (glibc.malloc.hugetlb=1, set for every worker
/// process), Snapshot:HugePages (on) marks its other big regions before the dump, and the bootstrap's
/// criu (deploy/criu/restore-hugepages.patch) applies those marks before
/// it writes the pages back, so the restore faults far fewer pages than the image holds; a stock criu
/// (COMFYSNAP_CRIU_HUGEPAGES=0, or a failed build) applies it afterwards and faults every 4 KiB page,
/// as docs/snapshots.md says. The test checks whichever criu this machine has.
/// </summary>
[Collection(SnapshotCollection.Name)]
[Trait("Category", "Integration")]
public sealed class HugePageRestoreTests(SnapshotFixture fixture)
{
    private const int PageBytes = 4096;

    [Fact]
    public void The_fixture_snapshot_marked_its_regions_for_huge_pages()
    {
        Assert.Contains(fixture.Manifest.PreparePhases, p => p.Name == "huge pages" && p.Detail!.EndsWith(" MiB", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Restore_brings_the_marked_regions_back_as_huge_pages_only_with_the_patched_criu()
    {
        var patched = File.Exists(TestEnvironment.Criu + ".restore-hugepages");
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var restore = await fixture.Restorer().RestoreAsync(new ResumeConfig("worker-thp", new Dictionary<string, string?>()), timeout.Token);
        await using var restored = restore.Process!;
        Assert.True(restore.Restored, restore.Fallback?.Message);

        Assert.Contains(NativeAllocatorTuning.HugePagesTunable, File.ReadAllText($"/proc/{restored.HostPid}/environ"), StringComparison.Ordinal);
        var anonHugeKiB = AnonHugePagesKiB(restored.HostPid);
        var faults = ProcFs.PageFaults(restored.HostPid)!.Value.Minor;
        var imagePages = fixture.Manifest.ImageBytes / PageBytes;
        if (patched)
        {
            Assert.True(anonHugeKiB >= 2048, $"no anonymous huge pages after the restore ({anonHugeKiB} KiB)");
            // Measured with the blob bench snapshot: 7.3k faults for a 24k-page image (24.2k with stock criu).
            Assert.True(faults < imagePages * 6 / 10, $"{faults} minor faults for an image of {imagePages} pages: the restore faulted 4 KiB pages");
        }
        else
        {
            // Stock criu writes every page of the image back with a 4 KiB fault of its own.
            Assert.True(faults >= imagePages * 9 / 10, $"{faults} minor faults for an image of {imagePages} pages with stock criu: fewer than one per page");
        }
    }

    private static long AnonHugePagesKiB(int pid) =>
        File.ReadLines($"/proc/{pid}/smaps_rollup")
            .Where(l => l.StartsWith("AnonHugePages:", StringComparison.Ordinal))
            .Select(l => long.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture))
            .Single();
}
