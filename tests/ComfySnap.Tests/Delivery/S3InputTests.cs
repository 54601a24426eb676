using ComfySnap.Contracts;
using ComfySnap.Engine.Catalog;
using ComfySnap.TestSupport;
using ComfySnap.Worker.Delivery;
using ComfySnap.Worker.Inputs;
using ComfySnap.Worker.Jobs;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using static ComfySnap.Tests.Support.TestImages;

namespace ComfySnap.Tests.Delivery;

/// <summary>LoadImage reads <c>s3://bucket/key</c> through the worker's object store client.</summary>
public sealed class S3InputTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    private static string Invert(string image) => $$"""
        {"1": {"class_type": "LoadImage", "inputs": {"image": "{{image}}"} },
         "2": {"class_type": "ImageInvert", "inputs": {"image": ["1", 0]} },
         "3": {"class_type": "SaveImage", "inputs": {"images": ["2", 0], "filename_prefix": "inv"} }
        }
        """;

    [Theory]
    [InlineData("s3://bucket-1/a/b.png", "bucket-1", "a/b.png")]
    [InlineData("S3://bucket-1/with space%20.png", "bucket-1", "with space%20.png")]
    public void An_s3_uri_names_a_bucket_and_a_key_taken_as_written(string uri, string bucket, string key) =>
        Assert.Equal((bucket, key), S3InputSource.Parse(uri));

    [Theory]
    [InlineData("s3://bucket-1")]
    [InlineData("s3://bucket-1/")]
    [InlineData("s3:///key.png")]
    [InlineData("s3://Bad_Bucket/key.png")]
    [InlineData("http://host/key.png")]
    public void Anything_else_is_refused(string uri) => Assert.Null(S3InputSource.Parse(uri));

    [Fact]
    public async Task S3_is_an_input_url_scheme_served_by_the_s3_source_and_a_worker_without_a_store_refuses_it()
    {
        var noStore = Options.Create(new ObjectStoreOptions());
        using var store = new S3ObjectStore(noStore);
        var sources = new UrlInputSources([new S3InputSource(store, noStore, NullLogger<S3InputSource>.Instance)]);

        Assert.True(InputUrls.TryParse("s3://bucket-1/a/b.png", out var url));
        var refused = await Assert.ThrowsAsync<InputFileException>(() => sources.FetchAsync(url, CancellationToken.None));
        Assert.Contains("has no object store", refused.Message, StringComparison.Ordinal);
        var other = await Assert.ThrowsAsync<InputFileException>(() => sources.FetchAsync(new Uri("ftp://host/a.png"), CancellationToken.None));
        Assert.Contains("is not supported here", other.Message, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Category", "Integration")]
    public async Task LoadImage_reads_an_s3_object_and_a_missing_one_a_non_image_or_an_unknown_scheme_is_an_invalid_input()
    {
        await using var buckets = new TestBuckets();
        var bucket = await buckets.CreateAsync("input");
        var png = Png(8, 6, (x, y) => ((byte)(x * 30), (byte)(y * 40), 200, 255));
        await buckets.PutAsync(bucket, "in/cat.png", png, "image/png");
        await buckets.PutAsync(bucket, "in/note.png", "not an image"u8.ToArray(), "image/png");
        await using var worker = await RabbitWorkerHarness.StartAsync(settings: TestEnvironment.ObjectStoreSettings());

        await worker.SendAsync(new RunWorkflow("job-s3-in", Invert($"s3://{bucket}/in/cat.png")));
        await worker.SendAsync(new RunWorkflow("job-s3-missing", Invert($"s3://{bucket}/in/none.png")));
        await worker.SendAsync(new RunWorkflow("job-s3-text", Invert($"s3://{bucket}/in/note.png")));
        await worker.SendAsync(new RunWorkflow("job-ftp", Invert("ftp://host/cat.png")));

        var completed = Assert.IsType<WorkflowCompleted>(await worker.Events.ResultAsync("job-s3-in", Timeout));
        var (width, height, pixels) = Rgba(completed.Outputs[0].InlineBytes!);
        Assert.Equal((8, 6), (width, height));
        var source = Rgba(png).Pixels;
        // 1 - x in float, truncated back to bytes as ComfyUI does: within one step of 255 - x.
        for (var i = 0; i < pixels.Length; i++)
        {
            if (i % 4 != 3)
            {
                Assert.InRange(pixels[i], 254 - source[i], 255 - source[i]);
            }
        }

        var missing = Assert.IsType<WorkflowFailed>(await worker.Events.ResultAsync("job-s3-missing", Timeout));
        Assert.Equal(FailureKind.InvalidWorkflow, missing.Kind);
        Assert.Contains($"s3://{bucket}/in/none.png", missing.Message, StringComparison.Ordinal);
        var text = Assert.IsType<WorkflowFailed>(await worker.Events.ResultAsync("job-s3-text", Timeout));
        Assert.Equal(FailureKind.InvalidWorkflow, text.Kind);
        Assert.Contains("is not a PNG, JPEG, WebP or GIF image", text.Message, StringComparison.Ordinal);
        // Not an input URL scheme: an input-folder file name, and there is no such file.
        var ftp = Assert.IsType<WorkflowFailed>(await worker.Events.ResultAsync("job-ftp", Timeout));
        Assert.Equal(FailureKind.InvalidWorkflow, ftp.Kind);
        Assert.Contains("ftp://host/cat.png", ftp.Message, StringComparison.Ordinal);
    }
}
