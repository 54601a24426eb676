using System.Security.Cryptography;
using System.Text.Json;
using ComfySnap.Contracts;
using ComfySnap.Tests.Worker.Support;
using ComfySnap.Worker.Jobs;
using MassTransit.Serialization;
using static ComfySnap.Tests.Support.TestImages;

namespace ComfySnap.Tests.Worker;

/// <summary>RunWorkflow.InputFiles: files a job brings along for LoadImage, materialised content-addressed by the worker.</summary>
public sealed class JobInputFileTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    private static string Invert(string name) => $$"""
        {
          "1": { "class_type": "LoadImage", "inputs": { "image": "{{name}}" } },
          "2": { "class_type": "ImageInvert", "inputs": { "image": ["1", 0] } },
          "3": { "class_type": "SaveImage", "inputs": { "images": ["2", 0], "filename_prefix": "inv" } }
        }
        """;

    [Fact]
    public void A_run_workflow_of_an_old_publisher_without_input_files_deserializes_unchanged()
    {
        const string old = """{"jobId":"old","workflow":"{}","batchId":"b","cachePolicy":2}""";
        var job = JsonSerializer.Deserialize<RunWorkflow>(old, SystemTextJsonMessageSerializer.Options)!;
        Assert.Equal(new RunWorkflow("old", "{}", "b", CachePolicy.Bypass), job);
        Assert.Null(job.InputFiles);
    }

    [Trait("Category", "Integration")]
    [Fact]
    public async Task Inline_input_file_runs_through_load_image_is_cached_by_content_and_a_bad_one_fails_the_job()
    {
        await using var worker = await RabbitWorkerHarness.StartAsync();
        var png = Png(3, 2, (x, y) => ((byte)(50 * x), (byte)(100 * y), 0, 255));
        var sha = Convert.ToHexStringLower(SHA256.HashData(png));
        var file = new JobInputFile("photos/cat.png", sha, png.Length, InlineBytes: png);

        await worker.SendAsync(new RunWorkflow("in-1", Invert("photos/cat.png"), InputFiles: [file]));
        var first = Assert.IsType<WorkflowCompleted>(await worker.Events.ResultAsync("in-1", Timeout));
        var (width, height, pixels) = Rgba(first.Outputs[0].InlineBytes!);
        Assert.Equal((3, 2), (width, height));
        Assert.InRange(255 - 100 - pixels[(3 * 4) + 1], 0, 1);
        Assert.True(File.Exists(Path.Combine(worker.Root, "input", InputFileMaterializer.Folder, sha + ".png")));
        Assert.False(File.Exists(Path.Combine(worker.Root, "input", "photos", "cat.png")));

        // The same content under another name is the same cache entry; other content is not.
        await worker.SendAsync(new RunWorkflow("in-2", Invert("dog.png"), InputFiles: [file with { Name = "dog.png" }]));
        Assert.True(Assert.IsType<WorkflowCompleted>(await worker.Events.ResultAsync("in-2", Timeout)).FromCache);
        var other = Png(3, 2, (_, _) => (9, 9, 9, 255));
        await worker.SendAsync(new RunWorkflow("in-3", Invert("photos/cat.png"), InputFiles: [new("photos/cat.png", Convert.ToHexStringLower(SHA256.HashData(other)), other.Length, other)]));
        Assert.False(Assert.IsType<WorkflowCompleted>(await worker.Events.ResultAsync("in-3", Timeout)).FromCache);

        await worker.SendAsync(new RunWorkflow("bad-hash", Invert("x.png"), InputFiles: [new("x.png", new string('0', 64), png.Length, png)]));
        await worker.SendAsync(new RunWorkflow("escape", Invert("../x.png"), InputFiles: [file with { Name = "../x.png" }]));
        await worker.SendAsync(new RunWorkflow("expired", Invert("y.png"), InputFiles: [new("y.png", sha.Replace(sha[0], sha[0] == 'a' ? 'b' : 'a'), 1, RedisKey: "comfysnap-test:nothing-here")]));
        foreach (var (job, reason) in new[] { ("bad-hash", "does not match"), ("escape", "escapes"), ("expired", "not available") })
        {
            var failed = Assert.IsType<WorkflowFailed>(await worker.Events.ResultAsync(job, Timeout));
            Assert.Equal(FailureKind.InvalidWorkflow, failed.Kind);
            Assert.Contains(reason, failed.Message, StringComparison.Ordinal);
        }
    }
}
