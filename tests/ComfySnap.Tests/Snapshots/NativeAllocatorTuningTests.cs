using System.Diagnostics;
using ComfySnap.Snapshots;
using ComfySnap.SnapshotBuilder;
using ComfySnap.TestSupport;

namespace ComfySnap.Tests.Snapshots;

public sealed class NativeAllocatorTuningTests
{
    [Theory]
    [InlineData(null, "glibc.malloc.hugetlb=1")]
    [InlineData("", "glibc.malloc.hugetlb=1")]
    [InlineData("glibc.malloc.arena_max=2", "glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1")]
    [InlineData("glibc.malloc.hugetlb=0", "glibc.malloc.hugetlb=0")] // an operator's choice stays
    [InlineData("glibc.malloc.hugetlb=2:glibc.malloc.arena_max=2", "glibc.malloc.hugetlb=2:glibc.malloc.arena_max=2")]
    public void Workers_start_with_the_huge_page_tunable_unless_told_otherwise(string? inherited, string expected) =>
        Assert.Equal(expected, NativeAllocatorTuning.For(inherited));

    [Theory]
    [InlineData("glibc.malloc.hugetlb=1", true)]
    [InlineData("glibc.malloc.arena_max=2:glibc.malloc.hugetlb=2", true)]
    [InlineData("glibc.malloc.hugetlb=0", false)]
    [InlineData("glibc.malloc.hugetlb=10", false)]
    [InlineData(null, false)]
    public void The_tunable_is_read_as_glibc_reads_it(string? tunables, bool on) =>
        Assert.Equal(on, NativeAllocatorTuning.HugePagesOn(tunables));

    [Theory]
    [Trait("Category", "Integration")]
    [InlineData(null, true)]
    [InlineData("glibc.malloc.hugetlb=0", false)]
    public async Task A_prepared_worker_keeps_mallocs_heaps_in_huge_pages(string? operatorSetting, bool expectFlagged)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var work = TestEnvironment.NewTempDirectory("malloc-thp");
        var request = new BuildRequest(Path.Combine(work, "snapshot"), TestEnvironment.ProjectDll("src/Worker", "ComfySnap.Worker"), TestEnvironment.Dotnet,
            Path.Combine(work, "models"), Path.Combine(work, "node_packs"), [], [], TimeSpan.FromMinutes(2));
        var info = PreparedWorkerEnvironment.ColdStartInfo(request, work);
        if (operatorSetting is not null)
        {
            // What the builder passes on when its own environment already chose (see NativeAllocatorTuning.For).
            info.Environment[NativeAllocatorTuning.VariableName] = NativeAllocatorTuning.For(operatorSetting);
        }

        using var worker = Process.Start(info)!;
        try
        {
            while (await worker.StandardOutput.ReadLineAsync(timeout.Token) is { } line && !line.StartsWith(PrepareProtocol.ReadyPrefix, StringComparison.Ordinal))
            {
            }

            if (worker.HasExited)
            {
                Assert.Fail("the prepared worker exited before READY: " + await worker.StandardError.ReadToEndAsync(timeout.Token));
            }

            var flagged = HugePageFlags.FlaggedBytes(worker.Id);
            Assert.True(expectFlagged ? flagged >= 2 * 1024 * 1024 : flagged == 0, $"{flagged} bytes flagged MADV_HUGEPAGE with {info.Environment[NativeAllocatorTuning.VariableName]}");
        }
        finally
        {
            worker.Kill(entireProcessTree: true);
            await worker.WaitForExitAsync(CancellationToken.None);
        }
    }
}
