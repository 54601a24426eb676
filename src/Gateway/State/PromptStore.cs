using System.Text.Json;
using StackExchange.Redis;

namespace ComfySnap.Gateway.State;

/// <summary>Submitted prompts and the shared queue view (queued, running) in Redis.</summary>
public sealed class PromptStore(IConnectionMultiplexer redis, RedisKeys keys)
{
    private IDatabase Db => redis.GetDatabase();

    public async Task<long> NextNumberAsync() => await Db.StringIncrementAsync(keys.Number).ConfigureAwait(false) - 1;

    public async Task AddAsync(PromptRecord record)
    {
        var db = Db;
        await Task.WhenAll(
            db.StringSetAsync(keys.Prompt(record.PromptId), JsonSerializer.Serialize(record), keys.Ttl),
            db.SortedSetAddAsync(keys.Queue, record.PromptId, record.Number),
            // The shared structures live as long as their newest entry: an idle prefix leaves nothing behind.
            db.KeyExpireAsync(keys.Queue, keys.Ttl),
            db.KeyExpireAsync(keys.Number, keys.Ttl)).ConfigureAwait(false);
    }

    public async Task<PromptRecord?> GetAsync(string promptId)
    {
        var value = await Db.StringGetAsync(keys.Prompt(promptId)).ConfigureAwait(false);
        return value.IsNullOrEmpty ? null : JsonSerializer.Deserialize<PromptRecord>(value.ToString());
    }

    /// <summary>A worker took it: it stays in the queue, now as running.</summary>
    public async Task MarkRunningAsync(string promptId)
    {
        var db = Db;
        await Task.WhenAll(db.SetAddAsync(keys.Running, promptId), db.KeyExpireAsync(keys.Running, keys.Ttl)).ConfigureAwait(false);
    }

    /// <summary>Finished or deleted: out of the queue.</summary>
    public async Task RemoveAsync(string promptId)
    {
        var db = Db;
        await Task.WhenAll(db.SortedSetRemoveAsync(keys.Queue, promptId), db.SetRemoveAsync(keys.Running, promptId)).ConfigureAwait(false);
    }

    /// <summary>Deleted from the queue before it ran: its record goes too, so its (cancelled) result is not relayed.</summary>
    public async Task DeleteAsync(string promptId)
    {
        await RemoveAsync(promptId).ConfigureAwait(false);
        await Db.KeyDeleteAsync(keys.Prompt(promptId)).ConfigureAwait(false);
    }

    public Task<long> RemainingAsync() => Db.SortedSetLengthAsync(keys.Queue);

    /// <summary>Queued and running prompts in number order (prompts whose record expired are dropped).</summary>
    public async Task<(IReadOnlyList<PromptRecord> Running, IReadOnlyList<PromptRecord> Pending)> QueueAsync()
    {
        var db = Db;
        var ids = await db.SortedSetRangeByRankAsync(keys.Queue).ConfigureAwait(false);
        var running = (await db.SetMembersAsync(keys.Running).ConfigureAwait(false)).Select(v => v.ToString()).ToHashSet(StringComparer.Ordinal);
        var records = ids.Length == 0 ? [] : await db.StringGetAsync([.. ids.Select(id => (RedisKey)keys.Prompt(id.ToString()))]).ConfigureAwait(false);
        var run = new List<PromptRecord>();
        var pending = new List<PromptRecord>();
        for (var i = 0; i < ids.Length; i++)
        {
            if (records[i].IsNullOrEmpty)
            {
                await RemoveAsync(ids[i].ToString()).ConfigureAwait(false);
                continue;
            }

            var record = JsonSerializer.Deserialize<PromptRecord>(records[i].ToString())!;
            (running.Contains(record.PromptId) ? run : pending).Add(record);
        }

        return (run, pending);
    }
}
