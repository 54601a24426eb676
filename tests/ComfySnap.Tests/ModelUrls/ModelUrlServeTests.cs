using System.Security.Cryptography;
using ComfySnap.Contracts;
using ComfySnap.Diffusion.Models;
using ComfySnap.NodeSdk;
using ComfySnap.Tests.Diffusion.Support;
using ComfySnap.Worker.Models;
using Microsoft.Extensions.DependencyInjection;

namespace ComfySnap.Tests.ModelUrls;

/// <summary>
/// A `serve` worker on RabbitMQ running a workflow whose checkpoint is a pinned URL with a query
/// token (a pre-signed URL), served on loopback: the output cache is asked before the download,
/// and the token reaches neither the model keys (heartbeats, routing) nor the logs.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ModelUrlServeTests(TinyCheckpointFixture checkpoint) : IClassFixture<TinyCheckpointFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(180);

    private static string Workflow(string checkpointName) => ModelUrlWorkflowTests.Workflow(checkpointName);

    [Fact]
    public async Task A_cache_hit_downloads_nothing_and_the_urls_token_stays_out_of_model_keys_and_logs()
    {
        var bytes = await File.ReadAllBytesAsync(checkpoint.Path);
        var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
        var token = $"tok-{Guid.NewGuid():N}";
        await using var server = await LoopbackHttpServer.StartAsync(async (context, _) => await context.Response.Body.WriteAsync(bytes));
        await using var worker = await RabbitWorkerHarness.StartAsync(settings: new Dictionary<string, string?> { ["Models:Download:AllowPrivateNetworks"] = "true" });
        var workflow = Workflow($"{server.BaseUrl}/tiny.safetensors?token={token}#sha256={sha}");

        await worker.SendAsync(new RunWorkflow("url-run", workflow));
        var ran = Assert.IsType<WorkflowCompleted>(await worker.Events.ResultAsync("url-run", Timeout));
        Assert.False(ran.FromCache);
        Assert.Single(server.Requests);
        Assert.Contains(token, server.Requests[0].PathAndQuery, StringComparison.Ordinal);

        // Loaded under the URL's identity: no query, the full hash (it still resolves to the cached file).
        var held = Assert.Single(worker.Services.GetRequiredService<ModelStore>().Held);
        Assert.Equal($"checkpoints/{server.BaseUrl}/tiny.safetensors#sha256={sha}", held.Key);
        Assert.Equal(ModelSet.Of([held.Key])!.Key, ran.Timings.ModelSetKey);

        // The cached file gone, the same workflow under a new JobId is an output-cache hit: no download.
        File.Delete(Path.Combine(worker.Services.GetRequiredService<ModelUrlCache>().Directory, $"{sha}.safetensors"));
        await worker.SendAsync(new RunWorkflow("url-hit", workflow));
        Assert.True(Assert.IsType<WorkflowCompleted>(await worker.Events.ResultAsync("url-hit", Timeout)).FromCache);
        Assert.Single(server.Requests);

        // A job that has to run downloads it again.
        await worker.SendAsync(new RunWorkflow("url-bypass", workflow, CachePolicy: CachePolicy.Bypass));
        Assert.False(Assert.IsType<WorkflowCompleted>(await worker.Events.ResultAsync("url-bypass", Timeout)).FromCache);
        Assert.Equal(2, server.Requests.Count);

        Assert.DoesNotContain(worker.Logs.Events, e => e.RenderMessage().Contains(token, StringComparison.Ordinal)
            || e.Properties.Values.Any(p => p.ToString().Contains(token, StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_jobs_downloaded_model_is_held_until_released_so_another_process_cannot_evict_it_before_the_load()
    {
        byte[] Model(byte seed) => [.. Enumerable.Range(0, 200).Select(i => (byte)(i * 3 + seed))];
        var files = new Dictionary<string, byte[]> { ["/a.safetensors"] = Model(1), ["/b.safetensors"] = Model(2), ["/c.safetensors"] = Model(3) };
        await using var server = await LoopbackHttpServer.StartAsync(async (context, request) => await context.Response.Body.WriteAsync(files[request.PathAndQuery]));
        string Url(string path) => $"{server.BaseUrl}{path}#sha256={Convert.ToHexStringLower(SHA256.HashData(files[path]))}";
        await using var worker = await RabbitWorkerHarness.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Models:Download:AllowPrivateNetworks"] = "true",
            ["Models:Download:MaxCacheBytes"] = "300",
        });
        var folder = worker.Services.GetRequiredService<ModelUrlCache>().Directory;
        var fileA = Path.Combine(folder, Convert.ToHexStringLower(SHA256.HashData(files["/a.safetensors"])) + ".safetensors");
        // Another process on the same cache folder and cap (its own open files: flocks conflict as between processes).
        await using var other = new ServiceCollection().AddLogging()
            .Configure<ModelStoreOptions>(o =>
            {
                o.BaseDirectory = Path.GetDirectoryName(folder)!;
                o.Download.CacheDirectory = folder;
                o.Download.AllowPrivateNetworks = true;
                o.Download.MaxCacheBytes = 300;
            })
            .AddModelDownloads().BuildServiceProvider();
        var otherCache = other.GetRequiredService<ModelUrlCache>();

        using (await worker.Services.GetRequiredService<ModelUrlFetcher>().FetchAsync(Workflow(Url("/a.safetensors")), CancellationToken.None))
        {
            // b needs room: a is the least recently used file, but the job holds it.
            await otherCache.EnsureAsync(ModelUrl.TryParse(Url("/b.safetensors"), out _)!, CancellationToken.None);
            Assert.True(File.Exists(fileA), "a file the job holds was evicted");
        }

        await otherCache.EnsureAsync(ModelUrl.TryParse(Url("/c.safetensors"), out _)!, CancellationToken.None);
        Assert.False(File.Exists(fileA), "the released file should have been evicted for c");
    }
}
