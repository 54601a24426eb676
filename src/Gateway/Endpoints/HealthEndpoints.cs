using System.Text.Json.Nodes;
using ComfySnap.Gateway.Hosting;

namespace ComfySnap.Gateway.Endpoints;

/// <summary>
/// Probes for compose and Kubernetes, without the API key: <c>/health</c> (the process answers) and
/// <c>/ready</c> (200 when Redis answers, a node catalog is loaded and the bus is started; else 503 with each check).
/// </summary>
public static class HealthEndpoints
{
    public const string HealthPath = "/health";
    public const string ReadyPath = "/ready";

    public static void MapHealth(this IEndpointRouteBuilder routes)
    {
        routes.MapGet(HealthPath, () => ComfyJson.Ok(new JsonObject { ["status"] = "ok" }));
        routes.MapGet(ReadyPath, async (GatewayReadiness readiness, CancellationToken cancellationToken) =>
        {
            var (ready, checks) = await readiness.CheckAsync(cancellationToken).ConfigureAwait(false);
            var body = new JsonObject { ["status"] = ready ? "ready" : "not_ready", ["checks"] = checks };
            return ComfyJson.Status(body, ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
        });
    }
}
