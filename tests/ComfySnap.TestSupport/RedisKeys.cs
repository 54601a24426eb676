using StackExchange.Redis;

namespace ComfySnap.TestSupport;

/// <summary>Removes a run's keys (its own prefix) from Redis.</summary>
public static class RedisKeys
{
    /// <param name="redisConfiguration">A StackExchange.Redis configuration string (endpoint, password=...).</param>
    /// <param name="prefix">The run's key prefix: every key starting with it is deleted.</param>
    public static async Task DeleteAsync(string redisConfiguration, string prefix)
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(redisConfiguration + ",allowAdmin=true");
        var server = redis.GetServers()[0];
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
