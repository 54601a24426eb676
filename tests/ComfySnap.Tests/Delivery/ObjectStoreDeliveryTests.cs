using System.Security.Cryptography;
using ComfySnap.Contracts;
using ComfySnap.TestSupport;
using static ComfySnap.Tests.Support.TestImages;

namespace ComfySnap.Tests.Delivery;

/// <summary>
/// Jobs through RabbitMQ to a real worker that writes its outputs to the real object store of
/// `./comfysnap services` (s3rver), each test in a bucket of its own.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ObjectStoreDeliveryTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    // Two 64x48 orange images.
    private const string TwoImages = """
        {"1": {"class_type": "EmptyImage", "inputs": {"width": 64, "height": 48, "batch_size": 2, "color": 16744448}},
         "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": "orange"}}}
        """;

    private static Task<RabbitWorkerHarness> WorkerAsync(Dictionary<string, string?>? extra = null)
    {
        var settings = TestEnvironment.ObjectStoreSettings();
        foreach (var (k, v) in extra ?? [])
        {
            settings[k] = v;
        }

        return RabbitWorkerHarness.StartAsync(settings: settings);
    }

    private static string Hex(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    [Fact]
    public async Task A_job_with_a_bucket_writes_each_output_there_and_the_event_carries_url_size_and_sha256()
    {
        await using var buckets = new TestBuckets();
        var bucket = await buckets.CreateAsync("deliver");
        await using var worker = await WorkerAsync();

        await worker.SendAsync(new RunWorkflow("job-s3", TwoImages, CachePolicy: CachePolicy.Bypass, Delivery: new OutputDelivery(Bucket: bucket, KeyPrefix: "renders/")));

        var completed = Assert.IsType<WorkflowCompleted>(await worker.Events.ResultAsync("job-s3", Timeout));
        Assert.Equal(["renders/job-s3/orange_00001_.png", "renders/job-s3/orange_00002_.png"], await buckets.KeysAsync(bucket));
        Assert.Equal(2, completed.Outputs.Count);
        foreach (var file in completed.Outputs)
        {
            var key = $"renders/job-s3/{file.FileName}";
            var stored = await buckets.GetAsync(bucket, key);
            Assert.Equal(Hex(stored), file.Sha256);
            Assert.Equal(stored.LongLength, file.Size);
            Assert.Null(file.InlineBytes);
            Assert.Null(file.RedisKey);
            Assert.Equal($"{TestEnvironment.S3ServiceUrl}/{bucket}/{key}", file.Url);
            Assert.Equal($"s3://{bucket}/{key}", file.ObjectUri);
            Assert.Equal((64, 48), (Rgba(stored).Width, Rgba(stored).Height));
        }

        Assert.DoesNotContain(worker.Logs.Events, e => TestEnvironment.ServiceSecrets.Any(s => e.RenderMessage().Contains(s, StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_bucket_that_does_not_exist_fails_the_job_with_OutputDeliveryFailed_and_the_worker_takes_the_next_job()
    {
        await using var buckets = new TestBuckets();
        var bucket = await buckets.CreateAsync("next");
        var missing = TestBuckets.NewName("missing");
        await using var worker = await WorkerAsync();

        await worker.SendAsync(new RunWorkflow("job-missing", TwoImages, CachePolicy: CachePolicy.Bypass, Delivery: new OutputDelivery(Bucket: missing)));
        var failed = Assert.IsType<WorkflowFailed>(await worker.Events.ResultAsync("job-missing", Timeout));
        Assert.Equal(FailureKind.OutputDeliveryFailed, failed.Kind);
        Assert.Contains($"bucket '{missing}'", failed.Message, StringComparison.Ordinal);
        Assert.Contains("NoSuchBucket", failed.Message, StringComparison.Ordinal);

        await worker.SendAsync(new RunWorkflow("job-after", TwoImages, CachePolicy: CachePolicy.Bypass, Delivery: new OutputDelivery(Bucket: bucket)));
        Assert.IsType<WorkflowCompleted>(await worker.Events.ResultAsync("job-after", Timeout));
        Assert.Equal(2, (await buckets.KeysAsync(bucket)).Count);
    }

    [Fact]
    public async Task A_store_that_does_not_answer_is_retried_then_the_job_fails_and_nothing_is_in_the_bucket()
    {
        await using var buckets = new TestBuckets();
        var bucket = await buckets.CreateAsync("down");
        var closedPort = FreePorts.Take(1)[0];
        await using var worker = await WorkerAsync(new() { ["ObjectStore:ServiceUrl"] = $"http://127.0.0.1:{closedPort}", ["ObjectStore:UploadAttempts"] = "3" });

        await worker.SendAsync(new RunWorkflow("job-down", TwoImages, CachePolicy: CachePolicy.Bypass, Delivery: new OutputDelivery(Bucket: bucket)));

        var failed = Assert.IsType<WorkflowFailed>(await worker.Events.ResultAsync("job-down", Timeout));
        Assert.Equal(FailureKind.OutputDeliveryFailed, failed.Kind);
        Assert.Contains($"bucket '{bucket}'", failed.Message, StringComparison.Ordinal);
        Assert.Equal(2, worker.Logs.Events.Count(e => e.RenderMessage().Contains("Upload attempt", StringComparison.Ordinal)));
        Assert.Empty(await buckets.KeysAsync(bucket));
        Assert.DoesNotContain(worker.Events.All<WorkflowCompleted>(), c => c.JobId == "job-down");
    }

    [Fact]
    public async Task Webp_to_the_bucket_and_jpeg_inline_decode_to_the_rendered_picture()
    {
        await using var buckets = new TestBuckets();
        var bucket = await buckets.CreateAsync("formats");
        await using var worker = await WorkerAsync();

        await worker.SendAsync(new RunWorkflow("job-webp", TwoImages, Delivery: new OutputDelivery(Bucket: bucket, Format: OutputFormat.Webp, Quality: 80)));
        await worker.SendAsync(new RunWorkflow("job-jpeg", TwoImages, Delivery: new OutputDelivery(Format: OutputFormat.Jpeg, Quality: 85)));

        var webp = Assert.IsType<WorkflowCompleted>(await worker.Events.ResultAsync("job-webp", Timeout));
        var jpeg = Assert.IsType<WorkflowCompleted>(await worker.Events.ResultAsync("job-jpeg", Timeout));
        var webpFile = webp.Outputs[0];
        Assert.Matches(@"^orange_\d{5}_\.webp$", webpFile.FileName);
        Assert.Equal("image/webp", webpFile.ContentType);
        var jpegFile = jpeg.Outputs[0];
        Assert.Matches(@"^orange_\d{5}_\.jpg$", jpegFile.FileName);
        Assert.Equal("image/jpeg", jpegFile.ContentType);
        Assert.False(jpeg.FromCache, "a JPEG job must not be answered with the WebP job's cached outputs");
        foreach (var bytes in new[] { await buckets.GetAsync(bucket, $"job-webp/{webpFile.FileName}"), jpegFile.InlineBytes! })
        {
            var (width, height, pixels) = Rgba(bytes);
            Assert.Equal((64, 48), (width, height));
            Assert.All(pixels.Chunk(4), p =>
            {
                Assert.InRange(p[0], 250, 255);
                Assert.InRange(p[1], 123, 133);
                Assert.InRange(p[2], 0, 5);
            });
        }
    }
}
