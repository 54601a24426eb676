using System.Text.Json;
using ComfySnap.Contracts;
using ComfySnap.ServiceDefaults.Routing;
using ComfySnap.Worker.Caching;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace ComfySnap.Worker.Fleet;

/// <summary>
/// The fleet's shared picture in Redis, next to the output cache (no coordinator): every worker's
/// last heartbeat (what it holds, which model queues it consumes, what failed to load on it) in the
/// hash <c>&lt;prefix&gt;fleet:workers</c>, every model set seen in <c>&lt;prefix&gt;fleet:sets</c>, and since
/// when each model queue has had jobs waiting without a break in <c>&lt;prefix&gt;fleet:waiting</c>.
/// Without Redis there is no registry: reads are empty, writes do nothing. Errors are logged once, never thrown.
/// </summary>
public sealed class FleetRegistry(RedisOutputCache cache, IOptions<CacheOptions> options, ILogger<FleetRegistry> logger)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private int _failing;

    public string WorkersKey => FleetKeys.Workers(options.Value.KeyPrefix);

    public string SetsKey => FleetKeys.Sets(options.Value.KeyPrefix);

    public string WaitingKey => FleetKeys.Waiting(options.Value.KeyPrefix);

    /// <summary>
    /// Records what a worker saw of the model queues and answers since when each one with ready jobs has
    /// had them without a break: the first worker to see jobs waiting in a queue stamps it, the first to
    /// see it empty clears it, so every worker scores a queue by the same age. Without Redis, a queue's
    /// wait starts now.
    /// </summary>
    /// <param name="ready">Ready jobs per model-set key, as just probed.</param>
    /// <param name="now">The probe's time.</param>
    public async Task<IReadOnlyDictionary<string, DateTimeOffset>> ObserveWaitingAsync(IReadOnlyDictionary<string, uint> ready, DateTimeOffset now)
    {
        var waiting = ready.Where(r => r.Value > 0).Select(r => r.Key).ToList();
        var fallback = waiting.ToDictionary(k => k, _ => now, StringComparer.Ordinal);
        if (cache.Connection is not { } redis || ready.Count == 0)
        {
            return fallback;
        }

        try
        {
            var db = redis.GetDatabase();
            var empty = ready.Where(r => r.Value == 0).Select(r => (RedisValue)r.Key).ToArray();
            var stamps = waiting.Select(k => db.HashSetAsync(WaitingKey, k, now.ToUnixTimeMilliseconds(), When.NotExists)).ToList();
            if (empty.Length > 0)
            {
                await db.HashDeleteAsync(WaitingKey, empty).ConfigureAwait(false);
            }

            await Task.WhenAll(stamps).ConfigureAwait(false);
            var since = waiting.Count == 0 ? [] : await db.HashGetAsync(WaitingKey, [.. waiting.Select(k => (RedisValue)k)]).ConfigureAwait(false);
            Recovered();
            for (var i = 0; i < since.Length; i++)
            {
                if (since[i].TryParse(out long ms))
                {
                    fallback[waiting[i]] = DateTimeOffset.FromUnixTimeMilliseconds(ms);
                }
            }

            return fallback;
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            Failed(e);
            return fallback;
        }
    }

    /// <summary>Records this worker's heartbeat (replacing its previous one).</summary>
    public Task PutWorkerAsync(WorkerHeartbeat beat) =>
        RunAsync(db => db.HashSetAsync(WorkersKey, beat.WorkerId, JsonSerializer.Serialize(beat, Json)));

    /// <summary>Removes this worker (graceful stop); a dead worker's entry goes stale instead.</summary>
    public Task RemoveWorkerAsync(string workerId) => RunAsync(db => db.HashDeleteAsync(WorkersKey, workerId));

    /// <summary>Records model sets so that every worker learns them (and consumes their queues once it holds them).</summary>
    public Task PutSetsAsync(IEnumerable<ModelSet> sets)
    {
        var entries = sets.Select(s => new HashEntry(s.Key, JsonSerializer.Serialize(s, Json))).ToArray();
        return entries.Length == 0 ? Task.CompletedTask : RunAsync(db => db.HashSetAsync(SetsKey, entries));
    }

    public async Task<IReadOnlyList<WorkerHeartbeat>> GetWorkersAsync() =>
        await ReadAsync(WorkersKey, v => JsonSerializer.Deserialize<WorkerHeartbeat>(v, Json)).ConfigureAwait(false);

    public async Task<IReadOnlyList<ModelSet>> GetSetsAsync() =>
        await ReadAsync(SetsKey, v => JsonSerializer.Deserialize<ModelSet>(v, Json)).ConfigureAwait(false);

    /// <summary>Workers whose last heartbeat is younger than three of their intervals.</summary>
    public static IReadOnlyList<WorkerHeartbeat> Live(IEnumerable<WorkerHeartbeat> workers, DateTimeOffset now) =>
        [.. workers.Where(w => (now - w.SentAt).TotalMilliseconds <= 3 * Math.Max(w.IntervalMs, 1000))];

    private async Task<IReadOnlyList<T>> ReadAsync<T>(string key, Func<string, T?> parse)
    {
        if (cache.Connection is not { } redis)
        {
            return [];
        }

        try
        {
            var entries = await redis.GetDatabase().HashGetAllAsync(key).ConfigureAwait(false);
            Recovered();
            var result = new List<T>(entries.Length);
            foreach (var entry in entries)
            {
                try
                {
                    if (parse(entry.Value.ToString()) is { } value)
                    {
                        result.Add(value);
                    }
                }
                catch (JsonException)
                {
                    // an entry written by another version: skipped
                }
            }

            return result;
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            Failed(e);
            return [];
        }
    }

    private async Task RunAsync(Func<IDatabase, Task> write)
    {
        if (cache.Connection is not { } redis)
        {
            return;
        }

        try
        {
            await write(redis.GetDatabase()).ConfigureAwait(false);
            Recovered();
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            Failed(e);
        }
    }

    private void Failed(Exception e)
    {
        if (Interlocked.Exchange(ref _failing, 1) == 0)
        {
            logger.LogWarning("The fleet registry in Redis is unavailable ({Reason}): routing works from what this worker knows until it returns", e.Message);
        }
    }

    private void Recovered() => Interlocked.Exchange(ref _failing, 0);
}
