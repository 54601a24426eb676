using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace ComfySnap.Gateway.Endpoints;

/// <summary>
/// When Gateway:ApiKey is set, every request must carry it (Bearer token, X-API-Key header, or ?token=
/// for WebSocket clients); else 401. The health probes are exempt: they say nothing a client could use.
/// </summary>
public sealed class ApiKeyMiddleware(RequestDelegate next, IOptions<GatewayOptions> options)
{
    private readonly byte[]? _key = string.IsNullOrEmpty(options.Value.ApiKey) ? null : Encoding.UTF8.GetBytes(options.Value.ApiKey);

    public Task InvokeAsync(HttpContext context)
    {
        if (_key is null || IsProbe(context.Request.Path) || Matches(Presented(context.Request)))
        {
            return next(context);
        }

        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        return Task.CompletedTask;
    }

    private static bool IsProbe(PathString path) => path == HealthEndpoints.HealthPath || path == HealthEndpoints.ReadyPath;

    private static string? Presented(HttpRequest request)
    {
        var authorization = request.Headers.Authorization.FirstOrDefault();
        if (authorization?.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) == true)
        {
            return authorization["Bearer ".Length..].Trim();
        }

        return request.Headers["X-API-Key"].FirstOrDefault() ?? request.Query["token"].FirstOrDefault();
    }

    private bool Matches(string? presented) =>
        presented is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), _key);
}
