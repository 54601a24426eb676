using StackExchange.Redis;

namespace ComfySnap.TestSupport;

/// <summary>Removes a run's keys (its own prefix) from Redis.</summary>
public static class RedisKeys
{
    public static async Task DeleteAsync(string host, int port, string prefix)
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync($"{host}:{port},allowAdmin=true");
        var server = redis.GetServer(host, port);
        var keys = new List<RedisKey>();
        await foreach (var key in server.KeysAsync(pattern: prefix + "*", pageSize: 1000))
        {
            keys.Add(key);
        }

        foreach (var chunk in keys.Chunk(1000))
        {
            await redis.GetDatabase().KeyDeleteAsync(chunk);
        }
    }
}
