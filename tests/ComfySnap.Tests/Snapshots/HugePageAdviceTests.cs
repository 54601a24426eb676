using ComfySnap.Snapshots;
using ComfySnap.TestSupport;
using ComfySnap.Worker.Boot;

namespace ComfySnap.Tests.Snapshots;

public sealed class HugePageAdviceTests
{
    [Theory]
    [InlineData("7f0000000000-7f0000400000 rw-p 00000000 00:00 0 ", 0x7f0000000000UL, 4L * 1024 * 1024)]
    [InlineData("55d4c0a00000-55d4c0c00000 rw-p 00000000 00:00 0                          [heap]", 0x55d4c0a00000UL, 2L * 1024 * 1024)]
    public void Private_anonymous_writable_regions_are_candidates(string line, ulong start, long length) =>
        Assert.Equal(new AnonymousRegions.Region(start, start + (ulong)length), AnonymousRegions.Parse(line));

    [Theory]
    [InlineData("7f0000000000-7f0000400000 r--p 00000000 00:00 0 ")]                                   // read-only
    [InlineData("7f0000000000-7f0000400000 rw-s 00000000 00:01 1234 /dev/shm/x")]                   // shared
    [InlineData("7f0000000000-7f0000400000 rw-p 00001000 08:01 5678 /usr/lib/libtorch_cpu.so")]     // a file's data
    [InlineData("7ffd00000000-7ffd00400000 rw-p 00000000 00:00 0                          [stack]")]  // a stack
    [InlineData("7f0000000000-7f0000400000 ---p 00000000 00:00 0 ")]                                   // a reservation
    public void Other_mappings_are_left_alone(string line) => Assert.Null(AnonymousRegions.Parse(line));

    [Fact]
    public void Marking_this_process_sets_the_kernels_hugepage_flag_on_its_regions()
    {
        var (regions, bytes) = HugePageAdvice.MarkAnonymousRegions();

        Assert.True(regions > 0 && bytes >= 2L * 1024 * 1024, $"{regions} regions, {bytes} bytes");
        // The kernel may merge neighbours once their flags match, so compare sizes, with room for
        // what the GC released since.
        var flaggedBytes = HugePageFlags.FlaggedBytes();
        Assert.True(flaggedBytes >= bytes / 2, $"{flaggedBytes} bytes flagged hg, {bytes} marked in {regions} regions");
    }
}
