using System.Security.Cryptography;
using ComfySnap.Diffusion.Models;
using ComfySnap.NodeSdk;
using ComfySnap.SnapshotBuilder;
using ComfySnap.Worker.Jobs;
using ComfySnap.Worker.Models;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace ComfySnap.Tests.ModelUrls;

/// <summary>
/// The model download cache against a real HTTP server on loopback (allowed explicitly): one download
/// per hash however many caches ask at once, a wrong hash leaves nothing behind, and the size cap
/// removes the least recently used file but never one a model store holds loaded.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ModelUrlCacheTests
{
    private static byte[] Model(byte seed, int size = 100) => [.. Enumerable.Range(0, size).Select(i => (byte)(i * 7 + seed))];

    private static string Sha(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    private static async Task<LoopbackHttpServer> ServeAsync(Dictionary<string, byte[]> files, TimeSpan delay) =>
        await LoopbackHttpServer.StartAsync(async (context, request) =>
        {
            await Task.Delay(delay);
            if (files.TryGetValue(request.PathAndQuery, out var bytes))
            {
                await context.Response.Body.WriteAsync(bytes);
            }
            else
            {
                context.Response.StatusCode = 404;
            }
        });

    private static ServiceProvider Cache(string directory, long cap = 0) =>
        new ServiceCollection()
            .AddLogging()
            .Configure<ModelStoreOptions>(o =>
            {
                o.BaseDirectory = directory;
                o.Download.AllowPrivateNetworks = true;
                o.Download.MaxCacheBytes = cap;
            })
            .AddModelDownloads()
            .BuildServiceProvider();

    private static ModelUrl Pinned(LoopbackHttpServer server, string path, byte[] bytes) =>
        ModelUrl.TryParse($"{server.BaseUrl}{path}#sha256={Sha(bytes)}", out _)!;

    [Fact]
    public async Task Two_caches_on_one_folder_download_a_model_once()
    {
        var model = Model(1);
        await using var server = await ServeAsync(new() { ["/m.safetensors"] = model }, TimeSpan.FromMilliseconds(500));
        var directory = TestEnvironment.NewTempDirectory("model-url");
        await using var first = Cache(directory);
        await using var second = Cache(directory);
        var url = Pinned(server, "/m.safetensors", model);

        var paths = await Task.WhenAll(
            first.GetRequiredService<ModelUrlCache>().EnsureAsync(url, CancellationToken.None),
            second.GetRequiredService<ModelUrlCache>().EnsureAsync(url, CancellationToken.None));

        Assert.Single(server.Requests);
        Assert.Equal(paths[0], paths[1]);
        Assert.Equal(model, await File.ReadAllBytesAsync(paths[0]));
        Assert.Equal($"{Sha(model)}.safetensors", Path.GetFileName(paths[0]));
    }

    [Fact]
    public async Task A_wrong_hash_fails_clearly_and_leaves_no_file()
    {
        var model = Model(2);
        await using var server = await ServeAsync(new() { ["/m.safetensors"] = model }, TimeSpan.Zero);
        var directory = TestEnvironment.NewTempDirectory("model-url");
        await using var services = Cache(directory);
        var cache = services.GetRequiredService<ModelUrlCache>();
        var url = Pinned(server, "/m.safetensors", Model(3));

        var error = await Assert.ThrowsAsync<InputFileException>(() => cache.EnsureAsync(url, CancellationToken.None));

        Assert.Contains($"sha256 is {Sha(model)}, not the pinned {url.Sha256}", error.Message, StringComparison.Ordinal);
        Assert.Equal([$"{url.Sha256}.lock"], Directory.EnumerateFiles(cache.Directory).Select(Path.GetFileName));
    }

    [Fact]
    public async Task The_cap_removes_the_least_recently_used_file_but_not_one_loaded()
    {
        byte[] a = Model(4), b = Model(5), c = Model(6);
        await using var server = await ServeAsync(new() { ["/a.safetensors"] = a, ["/b.safetensors"] = b, ["/c.safetensors"] = c }, TimeSpan.Zero);
        var directory = TestEnvironment.NewTempDirectory("model-url");
        await using var services = Cache(directory, cap: 250);
        var cache = services.GetRequiredService<ModelUrlCache>();
        var pathA = await cache.EnsureAsync(Pinned(server, "/a.safetensors", a), CancellationToken.None);
        var pathB = await cache.EnsureAsync(Pinned(server, "/b.safetensors", b), CancellationToken.None);
        File.SetLastAccessTimeUtc(pathA, DateTime.UtcNow.AddHours(-2));
        File.SetLastAccessTimeUtc(pathB, DateTime.UtcNow.AddHours(-1));
        // A is the least recently used, but a model store has it loaded (its shared lock).
        using var store = new ModelStore(services.GetRequiredService<IOptions<ModelStoreOptions>>(), [], NullLogger<ModelStore>.Instance);
        var urlA = $"{server.BaseUrl}/a.safetensors#sha256={Sha(a)}";
        await store.GetOrLoadAsync("checkpoints", urlA, (_, _) => ValueTask.FromResult(new object()), CancellationToken.None);
        Assert.True(store.HoldsCacheFile(pathA));

        var pathC = await cache.EnsureAsync(Pinned(server, "/c.safetensors", c), CancellationToken.None);

        Assert.True(File.Exists(pathA));
        Assert.False(File.Exists(pathB));
        Assert.True(File.Exists(pathC));
        Assert.True(store.Unload($"checkpoints/{urlA}"));
        Assert.False(store.HoldsCacheFile(pathA));
    }

    [Fact]
    public void A_snapshot_never_preloads_a_model_by_url()
    {
        PreloadEntries.ThrowIfUrl(["checkpoints/v1-5.safetensors"]);

        var error = Assert.Throws<FormatException>(() => PreloadEntries.ThrowIfUrl([$"checkpoints/https://h/m.safetensors#sha256={new string('0', 64)}"]));

        Assert.Contains("names a URL", error.Message, StringComparison.Ordinal);
    }
}
