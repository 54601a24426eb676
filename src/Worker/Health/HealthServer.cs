using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ComfySnap.Worker.Health;

/// <summary>
/// /health (the process answers) and /ready (<see cref="WorkerReadinessCheck"/>) on Health:Port, a
/// small Kestrel of its own. Opened when the host starts, which for a snapshot is after the restore:
/// the prepared process never holds a listening socket for CRIU to dump.
/// </summary>
public sealed class HealthServer(IOptions<HealthOptions> options, WorkerReadinessCheck readiness, ILogger<HealthServer> logger) : IHostedService, IAsyncDisposable
{
    private WebApplication? _app;

    /// <summary>The bound address (the real port when Health:Port is taken from the OS), once started.</summary>
    public Uri? Address { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value.Port == 0)
        {
            return;
        }

        // Empty: no configuration sources, logging or URLs of its own (ASPNETCORE_* of a container image must not move it).
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = "comfysnap-worker-health", ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k => k.Listen(IPAddress.Parse(options.Value.Address), options.Value.Port));
        builder.Services.AddRoutingCore();
        var app = builder.Build();
        app.MapGet("/health", () => Json(new JsonObject { ["status"] = "ok" }, StatusCodes.Status200OK));
        app.MapGet("/ready", () =>
        {
            var (ready, checks) = readiness.Check();
            return Json(new JsonObject { ["status"] = ready ? "ready" : "not_ready", ["checks"] = checks }, ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
        });
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        _app = app;
        Address = new Uri(app.Urls.First());
        logger.LogInformation("Health endpoints on {Address} (/health, /ready)", Address);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_app is not null)
        {
            await _app.StopAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static IResult Json(JsonObject body, int status) => Results.Text(body.ToJsonString(), "application/json", statusCode: status);
}
