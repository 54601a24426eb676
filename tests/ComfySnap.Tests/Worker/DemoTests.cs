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
        Assert.Contains(jobs, j => j.Workflow == "sd15-controlnet.json");
        Assert.All(jobs, j => Assert.NotNull(j.Completed));
        foreach (var group in jobs.GroupBy(j => j.Workflow))
        {
            Assert.Equal([false, true], group.Select(j => j.Completed!.FromCache));
        }

        Assert.NotEmpty(output.GetFiles("*.png"));
        output.Delete(recursive: true);
    }

    [Fact]
    public async Task The_embedded_boot_counts_from_its_hosts_start_not_the_process_start()
    {
        // Let this process be older than the demo will take, so a boot counted from the process start would show it.
        var uptime = DateTime.Now - System.Diagnostics.Process.GetCurrentProcess().StartTime;
        if (uptime < TimeSpan.FromSeconds(20))
        {
            await Task.Delay(TimeSpan.FromSeconds(20) - uptime);
        }

        var workflows = TestEnvironment.NewTempDirectory("demo-workflows");
        File.Copy(Path.Combine(TestEnvironment.RepoRoot, "workflows", "image-ops.json"), Path.Combine(workflows, "image-ops.json"));
        var output = new DirectoryInfo(TestEnvironment.NewTempDirectory("demo"));
        var sinceProcessStart = DateTime.Now - System.Diagnostics.Process.GetCurrentProcess().StartTime;
        var watch = System.Diagnostics.Stopwatch.StartNew();

        var (_, booted) = await DemoCommand.RunJobsAsync(output, 1, workflows, CancellationToken.None);

        var runtimeStart = Assert.Single(booted.Phases, p => p.Name == "runtime start").Ms;
        Assert.InRange(runtimeStart, 0, watch.Elapsed.TotalMilliseconds);
        Assert.True(runtimeStart < sinceProcessStart.TotalMilliseconds, $"runtime start {runtimeStart} ms counts from before the demo ({sinceProcessStart.TotalMilliseconds} ms since the process started)");
        output.Delete(recursive: true);
        Directory.Delete(workflows, recursive: true);
    }
}
