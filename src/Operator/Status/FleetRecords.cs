using System.Text.Json;
using ComfySnap.Contracts;
using ComfySnap.Operator.Cli;
using ComfySnap.ServiceDefaults.Redis;
using ComfySnap.ServiceDefaults.Routing;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace ComfySnap.Operator.Status;

/// <summary>
/// The workers' last heartbeats as the fleet registry in Redis keeps them (<see cref="FleetKeys.Workers"/>):
/// unlike the bus, it still names the workers that died without a goodbye, with the sets they served.
/// </summary>
public static class FleetRecords
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    // Status is a quick look: a Redis that does not answer soon is reported, not waited for.
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Every worker entry under <paramref name="keyPrefix"/> (Cache:KeyPrefix); entries another version wrote are skipped.</summary>
    public static async Task<IReadOnlyList<WorkerHeartbeat>> ReadWorkersAsync(Connection connection, string keyPrefix, CancellationToken cancellationToken)
    {
        if (connection.RedisOptions is not { } options)
        {
            return [];
        }

        options.RedisConnectTimeout = ConnectTimeout;
        await using var redis = await RedisConnector.ConnectAsync(options, NullLogger.Instance, tune: null, cancellationToken);
        var entries = await redis.GetDatabase().HashGetAllAsync(FleetKeys.Workers(keyPrefix));
        var workers = new List<WorkerHeartbeat>(entries.Length);
        foreach (var entry in entries)
        {
            try
            {
                if (JsonSerializer.Deserialize<WorkerHeartbeat>(entry.Value.ToString(), Json) is { } beat)
                {
                    workers.Add(beat);
                }
            }
            catch (JsonException)
            {
                // written by another version
            }
        }

        return workers;
    }
}
