namespace ComfySnap.TestSupport;

/// <summary>
/// A Redis of the test's own (the Redis of a <see cref="PrivateServices"/> pair, no broker) that it
/// may stop, e.g. to take Redis away from a worker after its boot: one that cannot reach Redis at
/// the boot ends there instead.
/// </summary>
public sealed class PrivateRedis : IAsyncDisposable
{
    private readonly string _root;

    private PrivateRedis(string root, PrivateServices services)
    {
        _root = root;
        Services = services;
    }

    public PrivateServices Services { get; }

    /// <summary>Cache:Redis for this Redis, with its password.</summary>
    public string Endpoint => Services.RedisEndpoint;

    public static async Task<PrivateRedis> StartAsync(CancellationToken ct)
    {
        var root = TestEnvironment.NewTempDirectory("redis");
        var ports = FreePorts.Take(4);
        var redis = new PrivateRedis(root, new PrivateServices(Path.Combine(root, "services"), $"r-{Guid.NewGuid():N}"[..12] + "@localhost", ports[0], ports[1], ports[2], ports[3]));
        await redis.Services.StartRedisAsync(ct);
        return redis;
    }

    public Task StopAsync(CancellationToken ct) => Services.StopRedisAsync(ct);

    public async ValueTask DisposeAsync()
    {
        await Services.StopRedisAsync(CancellationToken.None);
        Directory.Delete(_root, recursive: true);
    }
}
