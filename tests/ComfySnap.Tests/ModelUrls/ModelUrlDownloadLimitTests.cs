using System.Security.Cryptography;
using ComfySnap.Diffusion.Models;
using ComfySnap.NodeSdk;
using ComfySnap.Worker.Jobs;
using ComfySnap.Worker.Models;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace ComfySnap.Tests.ModelUrls;

/// <summary>
/// What a model download refuses, against a real HTTP server on loopback: a file over
/// Models:Download:MaxBytes (declared or streamed), a server slower than FetchTimeout, a 404, and a
/// private address when AllowPrivateNetworks is off. Each fails with the reason and leaves no file.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ModelUrlDownloadLimitTests
{
    private static readonly byte[] Model = [.. Enumerable.Range(0, 4096).Select(i => (byte)(i * 13))];

    private static ModelUrl Pinned(LoopbackHttpServer server, string path) =>
        ModelUrl.TryParse($"{server.BaseUrl}{path}#sha256={Convert.ToHexStringLower(SHA256.HashData(Model))}", out _)!;

    private static ServiceProvider Cache(string directory, Action<ModelDownloadOptions> configure) =>
        new ServiceCollection()
            .AddLogging()
            .Configure<ModelStoreOptions>(o =>
            {
                o.BaseDirectory = directory;
                o.Download.AllowPrivateNetworks = true;
                configure(o.Download);
            })
            .AddModelDownloads()
            .BuildServiceProvider();

    private static async Task<InputFileException> RefusedAsync(LoopbackHttpServer server, string path, Action<ModelDownloadOptions> configure)
    {
        var directory = TestEnvironment.NewTempDirectory("model-url-limit");
        await using var services = Cache(directory, configure);
        var cache = services.GetRequiredService<ModelUrlCache>();
        var refused = await Assert.ThrowsAsync<InputFileException>(() => cache.EnsureAsync(Pinned(server, path), CancellationToken.None));
        Assert.DoesNotContain(Directory.EnumerateFiles(cache.Directory), f => f.EndsWith(".safetensors", StringComparison.Ordinal) || f.EndsWith(".part", StringComparison.Ordinal));
        return refused;
    }

    private static Task<LoopbackHttpServer> ServeAsync() =>
        LoopbackHttpServer.StartAsync(async (context, request) =>
        {
            switch (request.PathAndQuery)
            {
                case "/declared.safetensors":
                    context.Response.ContentLength = Model.Length;
                    await context.Response.Body.WriteAsync(Model);
                    break;
                case "/streamed.safetensors":
                    // No Content-Length: chunked, so only the count of bytes read can stop it.
                    foreach (var part in Model.Chunk(512))
                    {
                        await context.Response.Body.WriteAsync(part);
                        await context.Response.Body.FlushAsync();
                    }

                    break;
                case "/slow.safetensors":
                    await Task.Delay(TimeSpan.FromSeconds(5), context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
                    break;
                default:
                    context.Response.StatusCode = StatusCodes.Status404NotFound;
                    break;
            }
        });

    [Fact]
    public async Task A_file_over_MaxBytes_is_refused_whether_its_length_is_declared_or_streamed()
    {
        await using var server = await ServeAsync();

        var declared = await RefusedAsync(server, "/declared.safetensors", d => d.MaxBytes = 1000);
        var streamed = await RefusedAsync(server, "/streamed.safetensors", d => d.MaxBytes = 1000);

        Assert.Contains($"is {Model.Length} bytes, more than Models:Download:MaxBytes 1000", declared.Message, StringComparison.Ordinal);
        Assert.Contains("delivered more than Models:Download:MaxBytes 1000 bytes", streamed.Message, StringComparison.Ordinal);
        // The same file under the limit downloads: the limit, not the server, refused it.
        var directory = TestEnvironment.NewTempDirectory("model-url-limit");
        await using var services = Cache(directory, d => d.MaxBytes = Model.Length);
        Assert.Equal(Model, await File.ReadAllBytesAsync(await services.GetRequiredService<ModelUrlCache>().EnsureAsync(Pinned(server, "/streamed.safetensors"), CancellationToken.None)));
    }

    [Fact]
    public async Task A_server_slower_than_FetchTimeout_and_a_404_fail_with_the_reason()
    {
        await using var server = await ServeAsync();

        var slow = await RefusedAsync(server, "/slow.safetensors", d => d.FetchTimeout = TimeSpan.FromMilliseconds(500));
        var missing = await RefusedAsync(server, "/missing.safetensors", _ => { });

        Assert.Contains("did not deliver within Models:Download:FetchTimeout 00:00:00.5", slow.Message, StringComparison.Ordinal);
        Assert.Contains("answered 404", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_loopback_url_is_refused_without_a_request_unless_private_networks_are_allowed()
    {
        await using var server = await ServeAsync();

        var refused = await RefusedAsync(server, "/declared.safetensors", d => d.AllowPrivateNetworks = false);

        Assert.Contains("127.0.0.1 refused:", refused.Message, StringComparison.Ordinal);
        Assert.Contains("AllowPrivateNetworks", refused.Message, StringComparison.Ordinal);
        Assert.Empty(server.Requests);
    }
}
