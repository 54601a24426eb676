using System.Text.Json.Nodes;
using ComfySnap.Gateway.Catalog;
using MassTransit;
using StackExchange.Redis;

namespace ComfySnap.Gateway.Hosting;

/// <summary>Whether the gateway can take prompts: Redis answers, a node catalog is loaded, the bus is started.</summary>
public sealed class GatewayReadiness(IConnectionMultiplexer redis, GatewayCatalog catalog, IBusControl bus)
{
    private static readonly TimeSpan PingTimeout = TimeSpan.FromSeconds(2);

    /// <summary>Each check by name ("ok" or why not) and whether all passed.</summary>
    public async Task<(bool Ready, JsonObject Checks)> CheckAsync(CancellationToken cancellationToken)
    {
        var redisCheck = await PingAsync(cancellationToken).ConfigureAwait(false);
        var catalogCheck = catalog.Current is not null ? "ok" : "missing: no worker has published a node catalog yet";
        var busHealth = bus.CheckHealth();
        var busCheck = busHealth.Status == BusHealthStatus.Healthy ? "ok" : $"{busHealth.Status}: {busHealth.Description}";
        var checks = new JsonObject
        {
            ["redis"] = redisCheck,
            ["catalog"] = catalogCheck,
            ["catalog_id"] = catalog.Current?.Id,
            ["bus"] = busCheck,
        };
        return (redisCheck == "ok" && catalog.Current is not null && busCheck == "ok", checks);
    }

    private async Task<string> PingAsync(CancellationToken cancellationToken)
    {
        try
        {
            await redis.GetDatabase().PingAsync().WaitAsync(PingTimeout, cancellationToken).ConfigureAwait(false);
            return "ok";
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            return "unreachable: " + e.Message;
        }
    }
}
