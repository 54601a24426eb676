using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace ComfySnap.Gateway.State;

/// <summary>ComfyUI's history (prompt_id -> {prompt, outputs, status, meta}) in Redis, oldest first, bounded by Gateway:MaxHistoryItems.</summary>
public sealed class HistoryStore(IConnectionMultiplexer redis, RedisKeys keys, IOptions<GatewayOptions> options, TimeProvider time)
{
    private IDatabase Db => redis.GetDatabase();

    /// <summary>
    /// Stores an entry unless one exists (every gateway hears every result: the first one writes it),
    /// in one round trip; a second only when the history is over Gateway:MaxHistoryItems. Every
    /// command of the first is issued before this returns its task, so commands issued after it on
    /// the same connection (the queue removal) run after them.
    /// </summary>
    public async Task AddAsync(string promptId, JsonObject entry)
    {
        var db = Db;
        var written = db.StringSetAsync(keys.History(promptId), entry.ToJsonString(), keys.Ttl, When.NotExists);
        // NX: a second gateway's (later) write keeps the first one's place in the order.
        var indexed = db.SortedSetAddAsync(keys.HistoryIndex, promptId, time.GetUtcNow().ToUnixTimeMilliseconds(), When.NotExists);
        var expiry = db.KeyExpireAsync(keys.HistoryIndex, keys.Ttl);
        var length = db.SortedSetLengthAsync(keys.HistoryIndex);
        await Task.WhenAll(written, indexed, expiry, length).ConfigureAwait(false);
        var excess = await length.ConfigureAwait(false) - options.Value.MaxHistoryItems;
        if (await written.ConfigureAwait(false) && excess > 0)
        {
            await DeleteAsync([.. (await db.SortedSetRangeByRankAsync(keys.HistoryIndex, 0, excess - 1).ConfigureAwait(false)).Select(v => v.ToString())]).ConfigureAwait(false);
        }
    }

    /// <summary>All entries, or the newest <paramref name="maxItems"/>, oldest first (ComfyUI's order).</summary>
    public async Task<JsonObject> GetAsync(int? maxItems)
    {
        var db = Db;
        var start = maxItems is { } max ? -Math.Max(max, 0) : 0;
        var ids = maxItems == 0 ? [] : await db.SortedSetRangeByRankAsync(keys.HistoryIndex, start, -1).ConfigureAwait(false);
        var answer = new JsonObject();
        if (ids.Length == 0)
        {
            return answer;
        }

        var values = await db.StringGetAsync([.. ids.Select(id => (RedisKey)keys.History(id.ToString()))]).ConfigureAwait(false);
        for (var i = 0; i < ids.Length; i++)
        {
            if (values[i].IsNullOrEmpty)
            {
                await db.SortedSetRemoveAsync(keys.HistoryIndex, ids[i]).ConfigureAwait(false);
                continue;
            }

            answer[ids[i].ToString()] = JsonNode.Parse(values[i].ToString());
        }

        return answer;
    }

    public async Task<JsonObject> GetOneAsync(string promptId)
    {
        var value = await Db.StringGetAsync(keys.History(promptId)).ConfigureAwait(false);
        return value.IsNullOrEmpty ? [] : new JsonObject { [promptId] = JsonNode.Parse(value.ToString()) };
    }

    public async Task ClearAsync()
    {
        var ids = await Db.SortedSetRangeByRankAsync(keys.HistoryIndex).ConfigureAwait(false);
        await DeleteAsync([.. ids.Select(v => v.ToString())]).ConfigureAwait(false);
    }

    public async Task DeleteAsync(IReadOnlyList<string> promptIds)
    {
        if (promptIds.Count == 0)
        {
            return;
        }

        var db = Db;
        await Task.WhenAll(
            db.KeyDeleteAsync([.. promptIds.Select(id => (RedisKey)keys.History(id))]),
            db.SortedSetRemoveAsync(keys.HistoryIndex, [.. promptIds.Select(id => (RedisValue)id)])).ConfigureAwait(false);
    }
}
