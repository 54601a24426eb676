using ComfySnap.Snapshots;
using ComfySnap.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace ComfySnap.Tests.Foundation;

/// <summary>Real CRIU: dump a process in its own PID namespace, restore it twice side by side.</summary>
[Trait("Category", "Integration")]
public sealed class CriuCheckpointTests
{
    [Fact]
    public async Task Dumped_process_restores_twice_side_by_side_and_both_copies_answer()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var ct = timeout.Token;
        var criu = new CriuRunner(Options.Create(new CriuOptions { Path = TestEnvironment.Criu }), NullLogger<CriuRunner>.Instance);
        var images = TestEnvironment.NewTempDirectory("criu-img");
        var probeDll = TestEnvironment.ProjectDll("tests/CriuProbe", "ComfySnap.CriuProbe");

        IReadOnlyDictionary<int, string> stdioKeys;
        await using (var original = await NamespacedProcess.StartAsync(TestEnvironment.Dotnet, [probeDll], TestEnvironment.ChildEnvironment(), null, ct))
        {
            Assert.Equal("ready", await original.StandardOutput.ReadLineAsync(ct));
            await original.StandardInput.WriteLineAsync("before-dump");
            await original.StandardInput.FlushAsync(ct);
            Assert.StartsWith("count=1 pid=1 ", await original.StandardOutput.ReadLineAsync(ct));

            stdioKeys = original.StdioKeys();
            await criu.DumpAsync(original.HostPid, images, ct);
            Assert.False(ProcFs.IsAlive(original.HostPid));
        }

        var stdio = new RestoreStdio(stdioKeys);
        await using var first = await criu.RestoreAsync(images, TestEnvironment.NewTempDirectory("criu-w1"), stdio, ct);
        await using var second = await criu.RestoreAsync(images, TestEnvironment.NewTempDirectory("criu-w2"), stdio, ct);
        Assert.NotEqual(first.HostPid, second.HostPid);
        Assert.True(first.IsAlive && second.IsAlive);

        // Both copies kept the count from before the dump and each talks over its own new pipes.
        Assert.Equal("count=2 pid=1 echo=to-first", await AskAsync(first, "to-first", ct));
        Assert.Equal("count=2 pid=1 echo=to-second", await AskAsync(second, "to-second", ct));
        Assert.Equal("count=3 pid=1 echo=again", await AskAsync(first, "again", ct));
    }

    private static async Task<string?> AskAsync(RestoredProcess process, string line, CancellationToken ct)
    {
        await process.StandardInput.WriteLineAsync(line);
        await process.StandardInput.FlushAsync(ct);
        return await process.StandardOutput.ReadLineAsync(ct);
    }
}
