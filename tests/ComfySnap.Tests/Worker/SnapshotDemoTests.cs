using ComfySnap.Tests.Support;
using ComfySnap.Tools.Demo;
using Spectre.Console;

namespace ComfySnap.Tests.Worker;

/// <summary>`demo` with a snapshot: built with the real SnapshotBuilder, a cold and a restored worker side by side.</summary>
[Trait("Category", "Integration")]
public sealed class SnapshotDemoTests
{
    [Fact]
    public async Task Demo_builds_a_snapshot_then_reuses_it_and_both_workers_answer_the_same_images()
    {
        var root = TestEnvironment.NewTempDirectory("snapdemo");
        var workflows = Directory.CreateDirectory(Path.Combine(root, "workflows")).FullName;
        File.Copy(Path.Combine(TestEnvironment.RepoRoot, "workflows", "image-ops.json"), Path.Combine(workflows, "image-ops.json"));
        File.Copy(Path.Combine(TestEnvironment.RepoRoot, "workflows", "upscale.json"), Path.Combine(workflows, "upscale.json"));
        var settings = new SnapshotDemoSettings(Path.Combine(root, "cache"), workflows, TestEnvironment.Criu, TestEnvironment.Dotnet, QuickTxt2Img: true,
            // The tools build holds the worker and the builder side by side, as `./comfysnap demo` runs them.
            WorkerDirectory: Path.GetDirectoryName(TestEnvironment.ProjectDll("src/Tools", "ComfySnap.Tools"))!);
        var output = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output), Ansi = AnsiSupport.No, Interactive = InteractionSupport.No });
        console.Profile.Width = 80;

        Assert.Null(SnapshotDemo.Unavailable(TestEnvironment.Criu));
        var first = await new SnapshotDemo(settings, console).RunAsync(CancellationToken.None);
        DemoReport.Write(console, first);

        Assert.False(first.Reused);
        Assert.NotNull(first.Restored);
        Assert.Contains(first.Restored!.Phases, p => p.Name == "restore");
        Assert.Contains(first.Cold.Phases, p => p.Name.StartsWith("warm-up", StringComparison.Ordinal));
        Assert.Equal(["image-ops.json", "upscale.json"], first.Runs.Select(r => r.Workflow));
        Assert.All(first.Runs, r =>
        {
            Assert.Null(r.Cold.Error);
            Assert.Equal(r.Cold.Sha256, r.Restored!.Sha256);
        });
        var text = output.ToString();
        Assert.Contains("restored boot", text);
        Assert.All(text.Split('\n'), line => Assert.True(line.TrimEnd().Length <= 80, line));

        // Same worker build: the snapshot is reused, not rebuilt.
        var (request, reused) = await new SnapshotDemo(settings, console).EnsureSnapshotAsync(CancellationToken.None);
        Assert.True(reused);
        Assert.StartsWith(settings.CacheDirectory, request.OutputDirectory, StringComparison.Ordinal);
        Directory.Delete(root, recursive: true);
    }
}
