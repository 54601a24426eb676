using System.Text.Json;
using StackExchange.Redis;

namespace ComfySnap.Gateway.State;

/// <summary>Submitted prompts and the shared queue view (queued, running) in Redis.</summary>
public sealed class PromptStore(IConnectionMultiplexer redis, RedisKeys keys)
{
    private IDatabase Db => redis.GetDatabase();

    // The next number (negated for the front of the queue) and the record that carries it, in one
    // round trip. The record's JSON arrives in two parts around its number (ARGV[1], ARGV[2]); Lua's
    // number format writes a whole number without a fraction, so the record reads back as C# wrote it.
    private const string AddNumberedScript = """
        local n = redis.call('INCR', KEYS[1]) - 1
        if ARGV[3] == '1' then n = -n end
        redis.call('SET', KEYS[2], ARGV[1] .. n .. ARGV[2], 'PX', ARGV[4])
        redis.call('ZADD', KEYS[3], n, ARGV[5])
        redis.call('PEXPIRE', KEYS[3], ARGV[4])
        redis.call('PEXPIRE', KEYS[1], ARGV[4])
        return n
        """;

    private const string NumberedHead = "{\"number\":0,";

    /// <summary>
    /// Stores <paramref name="record"/> under the next number (its own Number is ignored), at the back
    /// of the queue or, with <paramref name="front"/>, at the front (negated, as ComfyUI); returns the number.
    /// </summary>
    public async Task<double> AddNumberedAsync(PromptRecord record, bool front)
    {
        var json = JsonSerializer.Serialize(record with { Number = 0 });
        if (!json.StartsWith(NumberedHead, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"a prompt record's JSON must start with its number: {json[..Math.Min(40, json.Length)]}");
        }

        var ttl = (long)keys.Ttl.TotalMilliseconds;
        var number = await Db.ScriptEvaluateAsync(
            AddNumberedScript,
            [keys.Number, keys.Prompt(record.PromptId), keys.Queue],
            [NumberedHead[..^2], json[(NumberedHead.Length - 1)..], front ? "1" : "0", ttl, record.PromptId]).ConfigureAwait(false);
        return (double)number;
    }

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

    /// <summary>
    /// A worker took it: it stays in the queue, now as running. Not waited for: the running set only
    /// shapes /queue (losing an entry loses no job), and the removal at the prompt's end goes out on
    /// the same connection after it, so it cannot be overtaken.
    /// </summary>
    public void MarkRunning(string promptId)
    {
        var db = Db;
        db.SetAdd(keys.Running, promptId, CommandFlags.FireAndForget);
        db.KeyExpire(keys.Running, keys.Ttl, ExpireWhen.Always, CommandFlags.FireAndForget);
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
