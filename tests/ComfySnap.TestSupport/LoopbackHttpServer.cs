using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ComfySnap.TestSupport;

/// <summary>One request as a <see cref="LoopbackHttpServer"/> received it.</summary>
public sealed record ReceivedRequest(string Method, string PathAndQuery, IReadOnlyDictionary<string, string> Headers, byte[] Body, DateTimeOffset At);

/// <summary>
/// A real HTTP server (Kestrel) on a free loopback port, answering with a handler and recording
/// every request: a file server for URL inputs and model downloads, a webhook receiver.
/// </summary>
public sealed class LoopbackHttpServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ReceivedRequest> _requests = new();

    private LoopbackHttpServer(WebApplication app) => _app = app;

    /// <summary>http://127.0.0.1:PORT (no trailing slash).</summary>
    public string BaseUrl { get; private set; } = "";

    public int Port => new Uri(BaseUrl).Port;

    public IReadOnlyList<ReceivedRequest> Requests => [.. _requests];

    /// <summary>Starts a server that records each request (body included) and then runs <paramref name="handler"/> with it; on a free port, or <paramref name="port"/>.</summary>
    public static async Task<LoopbackHttpServer> StartAsync(Func<HttpContext, ReceivedRequest, Task> handler, int port = 0)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();
        var server = new LoopbackHttpServer(app);
        app.Run(async context =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body, context.RequestAborted);
            var received = new ReceivedRequest(context.Request.Method, context.Request.Path + context.Request.QueryString,
                context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase), body.ToArray(), DateTimeOffset.UtcNow);
            server._requests.Enqueue(received);
            await handler(context, received);
        });
        await app.StartAsync();
        server.BaseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
        return server;
    }

    /// <summary>Waits until <paramref name="count"/> requests matching <paramref name="match"/> arrived.</summary>
    public async Task<IReadOnlyList<ReceivedRequest>> WaitForAsync(Func<ReceivedRequest, bool> match, int count, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var found = Requests.Where(match).ToList();
            if (found.Count >= count)
            {
                return found;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{found.Count} of {count} request(s) arrived at {BaseUrl} within {timeout}");
            }

            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
