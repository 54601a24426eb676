using System.Net.Http;
using ComfySnap.Contracts;
using ComfySnap.Worker.Jobs;
using ComfySnap.Worker.Outbound;
using Microsoft.AspNetCore.Http;
using static ComfySnap.Tests.Support.TestImages;

namespace ComfySnap.Tests.Outbound;

/// <summary>LoadImage given an http(s) URL: fetched by the worker with a size limit, a magic-byte check and the network guard.</summary>
public sealed class UrlInputTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    private static string Invert(string image) => $$"""
        {
          "1": { "class_type": "LoadImage", "inputs": { "image": "{{image}}" } },
          "2": { "class_type": "ImageInvert", "inputs": { "image": ["1", 0] } },
          "3": { "class_type": "SaveImage", "inputs": { "images": ["2", 0], "filename_prefix": "url" } }
        }
        """;

    private static Task<LoopbackHttpServer> FileServerAsync(byte[] png) => LoopbackHttpServer.StartAsync(async (context, request) =>
    {
        switch (context.Request.Path.Value)
        {
            case "/cat.png":
                context.Response.ContentType = "image/png";
                await context.Response.Body.WriteAsync(png);
                break;
            case "/page.png":
                // The extension and the Content-Type lie; the bytes do not.
                context.Response.ContentType = "image/png";
                await context.Response.WriteAsync("<html>not an image</html>");
                break;
            case "/big.png":
                context.Response.ContentType = "image/png";
                await context.Response.Body.WriteAsync(png);
                await context.Response.Body.WriteAsync(new byte[64 * 1024]);
                break;
            case "/to-ipv6-loopback":
                context.Response.Redirect($"http://[::1]:{context.Connection.LocalPort}/cat.png");
                break;
            case "/slow.png":
                await Task.Delay(TimeSpan.FromSeconds(10), context.RequestAborted);
                break;
            default:
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                break;
        }
    });

    [Trait("Category", "Integration")]
    [Fact]
    public async Task Load_image_runs_a_url_image_and_refuses_non_images_oversized_slow_missing_and_guarded_addresses()
    {
        var png = Png(3, 2, (x, y) => ((byte)(50 * x), (byte)(100 * y), 0, 255));
        await using var files = await FileServerAsync(png);
        // Only 127.0.0.1 is opened (as the tests allow loopback explicitly): ::1 stays refused.
        await using var worker = await RabbitWorkerHarness.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Inputs:AllowedNetworks:0"] = "127.0.0.1/32",
            ["Inputs:MaxBytes"] = (png.Length + 1024).ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Inputs:FetchTimeout"] = "00:00:02",
        });

        await worker.SendAsync(new RunWorkflow("url-ok", Invert($"{files.BaseUrl}/cat.png?token=secret")));
        var done = Assert.IsType<WorkflowCompleted>(await worker.Events.ResultAsync("url-ok", Timeout));
        var (width, height, pixels) = Rgba(done.Outputs[0].InlineBytes!);
        Assert.Equal((3, 2), (width, height));
        Assert.InRange(255 - 100 - pixels[(3 * 4) + 1], 0, 1);
        var stored = Directory.GetFiles(Path.Combine(worker.Root, "input", InputFileMaterializer.Folder));
        Assert.Equal(ComfySnap.Worker.Caching.ResultStore.Sha256Hex(png) + ".png", Path.GetFileName(Assert.Single(stored)));

        var cases = new (string Job, string Url, string Reason)[]
        {
            ("url-html", $"{files.BaseUrl}/page.png", "is not a PNG, JPEG, WebP or GIF"),
            ("url-big", $"{files.BaseUrl}/big.png", "Inputs:MaxBytes"),
            ("url-404", $"{files.BaseUrl}/missing.png", "answered 404"),
            ("url-slow", $"{files.BaseUrl}/slow.png", "Inputs:FetchTimeout"),
            ("url-v6", $"http://[::1]:{files.Port}/cat.png", "loopback address"),
            ("url-redirect", $"{files.BaseUrl}/to-ipv6-loopback", "loopback address"),
        };
        foreach (var (job, url, _) in cases)
        {
            await worker.SendAsync(new RunWorkflow(job, Invert(url)));
        }

        foreach (var (job, _, reason) in cases)
        {
            var failed = Assert.IsType<WorkflowFailed>(await worker.Events.ResultAsync(job, Timeout));
            Assert.Equal(FailureKind.InvalidWorkflow, failed.Kind);
            Assert.Contains(reason, failed.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("secret", failed.Message, StringComparison.Ordinal);
        }

        // The refused hosts were never connected to: the only requests are to 127.0.0.1.
        Assert.DoesNotContain(files.Requests, r => r.Headers.TryGetValue("Host", out var host) && !host.StartsWith("127.0.0.1", StringComparison.Ordinal));
        Assert.DoesNotContain(worker.Logs.Events, e => e.RenderMessage().Contains("token=secret", StringComparison.Ordinal));
    }

    [Trait("Category", "Integration")]
    [Fact]
    public async Task The_guarded_client_checks_the_address_it_connects_to_not_the_url_text()
    {
        await using var files = await FileServerAsync([1, 2, 3]);
        using var guarded = new HttpClient(new GuardedConnector(OutboundPolicy.PublicOnly).CreateHandler());
        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => guarded.GetAsync($"http://localhost:{files.Port}/cat.png"));
        Assert.Contains("loopback", GuardedConnector.RefusalIn(refused)!.Message, StringComparison.Ordinal);
        Assert.Empty(files.Requests);

        using var open = new HttpClient(new GuardedConnector(OutboundPolicy.From(true, [])).CreateHandler());
        Assert.Equal(System.Net.HttpStatusCode.OK, (await open.GetAsync($"http://localhost:{files.Port}/cat.png")).StatusCode);
        Assert.Single(files.Requests);
    }
}
