using System.Text.Json;
using ComfySnap.Engine.Catalog;
using ComfySnap.ServiceDefaults.Redis;
using ComfySnap.Worker.Boot;
using ComfySnap.Worker.Bus;
using ComfySnap.Worker.Caching;
using ComfySnap.Worker.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace ComfySnap.Worker.Catalog;

/// <summary>
/// Publishes the node catalog this worker runs to Redis once it is ready, then every
/// Catalog:RefreshInterval: rebuilds it (files may change), republishes it when its id changed or
/// Redis lost it, keeps its keys alive, and refreshes this worker's record. Starts after
/// WorkerBooted like the heartbeat, so a snapshot's prepared process never runs it and a restored
/// copy publishes on resume with the settings handed to it then.
/// </summary>
public sealed class CatalogPublisher(
    WorkerReadiness readiness,
    WorkerCatalog catalog,
    RedisOutputCache redis,
    BootContext boot,
    IOptions<CacheOptions> cache,
    IOptions<RedisConnectionOptions> redisOptions,
    IOptions<CatalogOptions> options,
    IOptions<BusOptions> bus,
    TimeProvider time,
    ILogger<CatalogPublisher> logger) : BackgroundService
{
    private readonly CatalogKeys _keys = new(cache.Value.KeyPrefix);
    private string? _published;
    private bool _down;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!redisOptions.Value.IsConfigured)
        {
            return; // no Redis, no gateway to tell
        }

        try
        {
            await readiness.Booted.WaitAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (Exception) when (!readiness.Booted.IsCompletedSuccessfully)
        {
            return; // stopping before the boot ended, or a failed boot (WorkerService logged it)
        }

        using var timer = new PeriodicTimer(options.Value.RefreshInterval, time);
        try
        {
            do
            {
                await PublishAsync(stoppingToken).ConfigureAwait(false);
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: not a fault of this service.
        }
    }

    /// <summary>One round: publish or refresh. Never throws for Redis trouble: the next round tries again.</summary>
    internal async Task PublishAsync(CancellationToken cancellationToken)
    {
        if (redis.Connection is not { } connection)
        {
            return;
        }

        var ttl = options.Value.Ttl;
        try
        {
            var (id, json, nodeCount) = catalog.Build();
            var db = connection.GetDatabase();
            // KeyExpire answers false when the key is gone (a new catalog, or Redis lost it): write it again.
            if (id != _published || !await db.KeyExpireAsync(_keys.Document(id), ttl).WaitAsync(cancellationToken).ConfigureAwait(false))
            {
                await db.StringSetAsync(_keys.Document(id), json, ttl).WaitAsync(cancellationToken).ConfigureAwait(false);
            }

            // A new catalog becomes the gateways' one; an unchanged one only refreshes the pointer
            // (or sets it, if there is none), so it never takes it back from a newer worker.
            var announce = id != _published;
            if (announce)
            {
                await db.StringSetAsync(_keys.Latest, id, ttl).WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            else if (!await db.KeyExpireAsync(_keys.Latest, ttl).WaitAsync(cancellationToken).ConfigureAwait(false))
            {
                announce = await db.StringSetAsync(_keys.Latest, id, ttl, When.NotExists).WaitAsync(cancellationToken).ConfigureAwait(false);
            }

            if (announce)
            {
                await db.PublishAsync(RedisChannel.Literal(_keys.Changed), id).WaitAsync(cancellationToken).ConfigureAwait(false);
            }

            await db.StringSetAsync(_keys.Worker(bus.Value.EffectiveWorkerId), Record(id), RecordTtl).WaitAsync(cancellationToken).ConfigureAwait(false);
            if (id != _published)
            {
                logger.LogInformation("Published node catalog {CatalogId}: {NodeCount} node types, {Bytes} bytes", id[..12], nodeCount, json.Length);
                _published = id;
            }

            if (_down)
            {
                _down = false;
                logger.LogInformation("Node catalog {CatalogId} refreshed in Redis again", id[..12]);
            }
        }
        catch (Exception e) when (e is RedisException or TimeoutException && !cancellationToken.IsCancellationRequested)
        {
            if (!_down)
            {
                _down = true;
                logger.LogWarning("Node catalog not published to Redis, trying again every {Interval}: {Reason}", options.Value.RefreshInterval, e.Message);
            }
        }
    }

    // Three missed rounds and the record is gone: readers see only live workers.
    private TimeSpan RecordTtl => options.Value.RefreshInterval * 3 + TimeSpan.FromSeconds(5);

    private string Record(string catalogId) => JsonSerializer.Serialize(new Dictionary<string, string?>
    {
        ["catalog"] = catalogId,
        ["mode"] = boot.Restored ? "restored" : "cold_boot",
        ["snapshot_id"] = boot.SnapshotId,
        ["refreshed_at"] = time.GetUtcNow().ToString("O", System.Globalization.CultureInfo.InvariantCulture),
    });
}
