using ComfySnap.Tools;
using ComfySnap.Tests.Support;
using ComfySnap.Worker.Cli;

namespace ComfySnap.Tests.Worker;

/// <summary>The embedded demo: in-memory bus, in-process cache, no services.</summary>
public sealed class DemoTests
{
    [Fact]
    public async Task Demo_runs_every_shipped_workflow_twice_the_second_from_cache()
    {
        var output = new DirectoryInfo(TestEnvironment.NewTempDirectory("demo"));
        var (jobs, booted) = await DemoCommand.RunJobsAsync(output, 2, Path.Combine(TestEnvironment.RepoRoot, "workflows"), CancellationToken.None);

        Assert.Contains(booted.Phases, p => p.Name == "bus connect");
        Assert.Contains(jobs, j => j.Workflow == "image-ops.json");
        Assert.Contains(jobs, j => j.Workflow == "upscale.json");
        Assert.Contains(jobs, j => j.Workflow == "default-txt2img.json");
        Assert.All(jobs, j => Assert.NotNull(j.Completed));
        foreach (var group in jobs.GroupBy(j => j.Workflow))
        {
            Assert.Equal([false, true], group.Select(j => j.Completed!.FromCache));
        }

        Assert.NotEmpty(output.GetFiles("*.png"));
        output.Delete(recursive: true);
    }
}
