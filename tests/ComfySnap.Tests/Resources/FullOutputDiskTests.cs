using System.Diagnostics;
using ComfySnap.Contracts;
using ComfySnap.Tests.Support;
using ComfySnap.TestSupport;
using SkiaSharp;

namespace ComfySnap.Tests.Resources;

/// <summary>
/// Issue 12: an output folder that fills up (a 64 KiB tmpfs mounted over it; the suite runs as root)
/// fails the job with FailureKind.StorageFull, on the bus and in the log; no half-written file is left
/// in the folder, nothing is cached, and the worker goes on.
/// </summary>
[Trait("Category", "Integration")]
public sealed class FullOutputDiskTests
{
    [Fact]
    public async Task A_full_output_folder_fails_the_job_as_StorageFull_and_leaves_no_partial_file()
    {
        await using var worker = await RabbitWorkerHarness.StartAsync();
        var output = Path.Combine(worker.Root, "output");
        await File.WriteAllBytesAsync(Path.Combine(worker.Root, "input", "noise.png"), NoisePng(256, 256)); // ~190 KB: does not fit
        await RunAsync("mount", "-t", "tmpfs", "-o", "size=64k,mode=0755", "tmpfs", output);
        try
        {
            const string Workflow = """{"1":{"class_type":"LoadImage","inputs":{"image":"noise.png"}},"2":{"class_type":"SaveImage","inputs":{"images":["1",0],"filename_prefix":"full/noise"}}}""";
            var job = new RunWorkflow("disk-full-" + Guid.NewGuid().ToString("N")[..8], Workflow);
            await worker.SendAsync(job);

            var failed = Assert.IsType<WorkflowFailed>(await worker.Events.ResultAsync(job.JobId, TimeSpan.FromSeconds(60)));
            Assert.Equal(FailureKind.StorageFull, failed.Kind);
            Assert.True(failed.Retryable);
            Assert.Contains("No space left on device", failed.Message, StringComparison.Ordinal);
            Assert.Equal("IOException", Assert.Single(failed.NodeErrors["2"].Errors).Details);
            Assert.Contains(worker.Logs.Events, e => e.RenderMessage().Contains("failed (StorageFull)", StringComparison.Ordinal)
                && e.RenderMessage().Contains("No space left on device", StringComparison.Ordinal));
            Assert.Empty(Directory.EnumerateFiles(output, "*", SearchOption.AllDirectories)); // no noise_00001_.png, no .tmp

            // The worker goes on: a small image fits.
            var small = new RunWorkflow(job.JobId + "-small", """{"1":{"class_type":"EmptyImage","inputs":{"width":8,"height":8,"batch_size":1,"color":0}},"2":{"class_type":"SaveImage","inputs":{"images":["1",0],"filename_prefix":"full/small"}}}""");
            await worker.SendAsync(small);
            Assert.IsType<WorkflowCompleted>(await worker.Events.ResultAsync(small.JobId, TimeSpan.FromSeconds(30)));
        }
        finally
        {
            await RunAsync("umount", output);
        }

        // Nothing of the failed run was cached: with room again, the same workflow runs (not from the cache).
        var again = new RunWorkflow("disk-full-again-" + Guid.NewGuid().ToString("N")[..8], """{"1":{"class_type":"LoadImage","inputs":{"image":"noise.png"}},"2":{"class_type":"SaveImage","inputs":{"images":["1",0],"filename_prefix":"full/noise"}}}""");
        await worker.SendAsync(again);
        var completed = Assert.IsType<WorkflowCompleted>(await worker.Events.ResultAsync(again.JobId, TimeSpan.FromSeconds(60)));
        Assert.False(completed.FromCache);
    }

    private static byte[] NoisePng(int width, int height)
    {
        var random = new Random(12);
        return TestImages.Png(width, height, (_, _) => ((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256), 255));
    }

    private static async Task RunAsync(string program, params string[] args)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardError = true };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info)!;
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"{program} {string.Join(' ', args)}: {error}");
    }
}
