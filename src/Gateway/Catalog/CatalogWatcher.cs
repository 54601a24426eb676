using System.Text.Json;
using System.Threading.Channels;
using ComfySnap.Engine.Catalog;
using ComfySnap.Gateway.State;
using ComfySnap.ServiceDefaults.Redis;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace ComfySnap.Gateway.Catalog;

/// <summary>
/// Keeps <see cref="GatewayCatalog"/> on the catalog the workers published last: loads it at start,
/// again when a worker announces a new one (pub/sub), and polls every Gateway:CatalogPollInterval
/// for announcements missed while Redis was away. A catalog that cannot be read leaves the previous
/// one in place. A fleet that gains a node pack is validated with it without a gateway restart.
/// Takes the connection, not the multiplexer: resolving that would connect before the host starts it.
/// </summary>
public sealed class CatalogWatcher(
    GatewayCatalog catalog,
    RedisConnection connection,
    IOptions<RedisStateOptions> cache,
    IOptions<GatewayOptions> options,
    ILogger<CatalogWatcher> logger) : BackgroundService
{
    private readonly CatalogKeys _keys = new(cache.Value.KeyPrefix);
    private readonly Channel<bool> _announced = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private bool _subscribed;
    private string? _failedId;
    private bool _toldMissing;

    /// <summary>Loads the catalog before the gateway serves, so one started in front of a running fleet is ready at once.</summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await LoadAsync(cancellationToken).ConfigureAwait(false);
        await base.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (true)
            {
                await SubscribeAsync().ConfigureAwait(false);
                await LoadAsync(stoppingToken).ConfigureAwait(false);
                await WaitForAnnouncementAsync(stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping (also when the host's start failed): not a fault of this service.
        }
    }

    private async Task WaitForAnnouncementAsync(CancellationToken stoppingToken)
    {
        using var poll = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        poll.CancelAfter(options.Value.CatalogPollInterval);
        try
        {
            await _announced.Reader.ReadAsync(poll.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            // poll interval over
        }
    }

    /// <summary>Reads the pointer and, when it names a catalog other than the current one, that catalog.</summary>
    internal async Task LoadAsync(CancellationToken cancellationToken)
    {
        string? id = null;
        try
        {
            var db = connection.Multiplexer.GetDatabase();
            var latest = await db.StringGetAsync(_keys.Latest).WaitAsync(cancellationToken).ConfigureAwait(false);
            if (latest.IsNullOrEmpty)
            {
                if (catalog.Current is null && !_toldMissing)
                {
                    _toldMissing = true;
                    // Expected when the gateway starts before any worker: not a warning.
                    logger.LogInformation("No node catalog in Redis at {Key} yet: /prompt answers 503 and /ready is not ready until a worker publishes one", _keys.Latest);
                }

                return;
            }

            id = latest.ToString();
            if (id == catalog.Current?.Id || id == _failedId)
            {
                return;
            }

            var json = await db.StringGetAsync(_keys.Document(id)).WaitAsync(cancellationToken).ConfigureAwait(false);
            if (json.IsNullOrEmpty)
            {
                logger.LogWarning("Node catalog {CatalogId} is named by {Key} but not in Redis; keeping {Current}", id, _keys.Latest, catalog.Current?.Id ?? "none");
                return;
            }

            var loaded = PublishedCatalog.Parse(id, json.ToString());
            catalog.Set(loaded);
            logger.LogInformation("Node catalog {CatalogId}: {NodeCount} node types, node packs [{Packs}]",
                id[..Math.Min(12, id.Length)], loaded.Nodes.Count, string.Join(", ", loaded.Packs.Select(p => $"{p.Name} {p.Version}")));
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            // Remembered, so a bad document is reported once, not every poll.
            _failedId = id;
            logger.LogError("Node catalog {CatalogId} cannot be read and is ignored: {Reason}", _failedId, e.Message);
        }
        catch (Exception e) when (e is RedisException or TimeoutException && !cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning("Node catalog not read from Redis, trying again in {Interval}: {Reason}", options.Value.CatalogPollInterval, e.Message);
        }
    }

    private async Task SubscribeAsync()
    {
        if (_subscribed)
        {
            return;
        }

        try
        {
            // The client subscribes again by itself after a reconnect.
            await connection.Multiplexer.GetSubscriber().SubscribeAsync(RedisChannel.Literal(_keys.Changed), (_, _) => _announced.Writer.TryWrite(true)).ConfigureAwait(false);
            _subscribed = true;
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            logger.LogDebug("Catalog announcements not subscribed yet: {Reason}", e.Message);
        }
    }
}
