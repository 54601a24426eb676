using System.Net;
using Amazon.Runtime;
using Amazon.S3;
using ComfySnap.Contracts;
using ComfySnap.Worker.Delivery;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace ComfySnap.Tests.Delivery;

/// <summary>Retries, the all-or-nothing rule and the object references in the completed event, against a scripted store.</summary>
public sealed class OutputUploaderTests
{
    private static readonly ObjectTarget Target = new("outputs", "p/");

    private static OutputFile File(string name, int size) =>
        new("9", name, "image/png", size, new string('a', 64), new byte[size], null, null);

    private static OutputUploader Uploader(ScriptedStore store, int attempts = 3) =>
        new(store, Options.Create(new ObjectStoreOptions { ServiceUrl = "http://127.0.0.1:1", UploadAttempts = attempts, RetryDelay = TimeSpan.FromMilliseconds(1) }),
            NullLogger<OutputUploader>.Instance);

    [Fact]
    public async Task Every_file_becomes_an_object_reference_without_bytes()
    {
        var store = new ScriptedStore();
        var files = await Uploader(store).UploadAsync(Target, "job-1", [File("a.png", 3), File("b.png", 5)], CancellationToken.None);
        Assert.Equal(["p/job-1/a.png", "p/job-1/b.png"], store.Objects.Keys.Order());
        Assert.All(files, f => Assert.Null(f.InlineBytes));
        Assert.Equal("s3://outputs/p/job-1/b.png", files[1].ObjectUri);
        Assert.Equal("http://store/outputs/p/job-1/b.png", files[1].Url);
        Assert.Equal(5, files[1].Size);
    }

    [Fact]
    public async Task A_transient_fault_is_retried_and_the_upload_succeeds()
    {
        var store = new ScriptedStore { FailuresBeforeSuccess = 2 };
        await Uploader(store, attempts: 3).UploadAsync(Target, "job-2", [File("a.png", 3)], CancellationToken.None);
        Assert.Equal(3, store.PutCalls);
        Assert.Single(store.Objects);
    }

    [Fact]
    public async Task When_a_later_file_fails_the_job_leaves_nothing_in_the_bucket()
    {
        var store = new ScriptedStore { FailKey = "p/job-3/b.png" };
        var e = await Assert.ThrowsAsync<OutputDeliveryException>(() => Uploader(store).UploadAsync(Target, "job-3", [File("a.png", 3), File("b.png", 5)], CancellationToken.None));
        Assert.Equal("outputs", e.Bucket);
        Assert.Contains("bucket 'outputs'", e.Message, StringComparison.Ordinal);
        Assert.Contains("connection refused", e.Message, StringComparison.Ordinal);
        Assert.Empty(store.Objects);
        Assert.Equal(1 + 3, store.PutCalls);
    }

    [Fact]
    public async Task A_refusal_by_the_store_is_not_retried()
    {
        var store = new ScriptedStore { Refusal = new AmazonS3Exception("The specified bucket does not exist", ErrorType.Sender, "NoSuchBucket", "r", HttpStatusCode.NotFound) };
        var e = await Assert.ThrowsAsync<OutputDeliveryException>(() => Uploader(store).UploadAsync(Target, "job-4", [File("a.png", 3)], CancellationToken.None));
        Assert.Equal(1, store.PutCalls);
        Assert.Contains("NoSuchBucket (HTTP 404)", e.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancellation_is_not_a_delivery_failure()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Uploader(new ScriptedStore()).UploadAsync(Target, "job-5", [File("a.png", 3)], cancelled.Token));
    }

    [Theory]
    [InlineData(HttpStatusCode.Forbidden, false)]
    [InlineData(HttpStatusCode.TooManyRequests, true)]
    [InlineData(HttpStatusCode.ServiceUnavailable, true)]
    public void Only_server_side_and_throttling_answers_are_transient(HttpStatusCode status, bool transient) =>
        Assert.Equal(transient, OutputUploader.IsTransient(new AmazonS3Exception("x", ErrorType.Sender, "Code", "r", status)));

    private sealed class ScriptedStore : IObjectStore
    {
        public Dictionary<string, byte[]> Objects { get; } = [];

        public int PutCalls { get; private set; }

        public int FailuresBeforeSuccess { get; init; }

        public string? FailKey { get; init; }

        public Exception? Refusal { get; init; }

        public Task PutAsync(string bucket, string key, ReadOnlyMemory<byte> bytes, string contentType, string sha256, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            PutCalls++;
            if (Refusal is not null)
            {
                throw Refusal;
            }

            if (key == FailKey || PutCalls <= FailuresBeforeSuccess)
            {
                throw new HttpRequestException("connection refused");
            }

            Objects[key] = bytes.ToArray();
            return Task.CompletedTask;
        }

        public Task<byte[]> GetAsync(string bucket, string key, long maxBytes, CancellationToken cancellationToken) => Task.FromResult(Objects[key]);

        public Task DeleteAsync(string bucket, string key, CancellationToken cancellationToken)
        {
            Objects.Remove(key);
            return Task.CompletedTask;
        }

        public string UrlOf(string bucket, string key) => $"http://store/{bucket}/{key}";
    }
}
