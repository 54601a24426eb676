using System.Diagnostics;
using ComfySnap.Snapshots;
using ComfySnap.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace ComfySnap.Tests.Snapshots;

/// <summary>Real criu: its kernel-feature cache is made once and then loaded by every criu run.</summary>
[Collection(SnapshotCollection.Name)]
[Trait("Category", "Integration")]
public sealed class KerndatCacheTests
{
    [Fact]
    public async Task A_stale_temp_file_and_a_stamp_from_another_boot_are_replaced_by_a_cache_criu_loads()
    {
        var cache = new CriuKerndatCache(TestEnvironment.Criu, CriuKerndatCache.DefaultFile, NullLogger.Instance);
        if (StatFs.TypeOf("/run") == 0x01021994)
        {
            // criu keeps its own cache on a tmpfs /run; nothing to manage.
            Assert.Equal("criu keeps it (tmpfs)", await cache.EnsureAsync(CancellationToken.None));
            return;
        }

        // What this VM kind had: criu's empty temp file left behind, and a cache stamped by another boot.
        await File.WriteAllTextAsync(CriuKerndatCache.DefaultFile + ".tmp", "");
        await File.WriteAllTextAsync(cache.StampFile, "boot 00000000-0000-0000-0000-000000000000\n");

        Assert.Equal("written", await cache.EnsureAsync(CancellationToken.None));
        Assert.False(File.Exists(CriuKerndatCache.DefaultFile + ".tmp"));
        Assert.Equal("kept", await cache.EnsureAsync(CancellationToken.None));
        Assert.Contains("Loaded kdat cache from /run/criu.kdat", await CriuCheckLogAsync());
    }

    private static async Task<string> CriuCheckLogAsync()
    {
        var log = Path.Combine(TestEnvironment.NewTempDirectory("kdat"), "check.log");
        var info = new ProcessStartInfo(TestEnvironment.Criu) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "check", "-o", log, "-v4" })
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info)!;
        await process.WaitForExitAsync();
        return await File.ReadAllTextAsync(log);
    }
}
