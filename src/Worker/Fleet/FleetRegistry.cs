using System.Text.Json;
using ComfySnap.Contracts;
using ComfySnap.Worker.Caching;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace ComfySnap.Worker.Fleet;

/// <summary>
/// The fleet's shared picture in Redis, next to the output cache (no coordinator): every worker's
/// last heartbeat (what it holds, which model queues it consumes, what failed to load on it) in the
/// hash <c>&lt;prefix&gt;fleet:workers</c>, and every model set seen in <c>&lt;prefix&gt;fleet:sets</c>.
/// Without Redis there is no registry: reads are empty, writes do nothing. Errors are logged once, never thrown.
/// </summary>
public sealed class FleetRegistry(RedisOutputCache cache, IOptions<CacheOptions> options, ILogger<FleetRegistry> logger)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private int _failing;

    public string WorkersKey => WorkersKeyFor(options.Value.KeyPrefix);

    public string SetsKey => SetsKeyFor(options.Value.KeyPrefix);

    public static string WorkersKeyFor(string prefix) => prefix + "fleet:workers";

    public static string SetsKeyFor(string prefix) => prefix + "fleet:sets";

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
