namespace ComfySnap.ServiceDefaults.Redis;

/// <summary>
/// The Redis connection every program shares: Cache:Redis, Cache:RedisTlsCaFile and
/// Cache:RedisConnectTimeout (the "Cache" section's other settings are the worker's and the gateway's own).
/// </summary>
public sealed class RedisConnectionOptions
{
    public const string SectionName = "Cache";

    /// <summary>StackExchange.Redis configuration string (e.g. "127.0.0.1:6379,password=..."); empty: no Redis.</summary>
    public string? Redis { get; set; }

    /// <summary>
    /// PEM file of the CA certificate(s) Redis's TLS certificate must chain to (with ssl=true in
    /// <see cref="Redis"/>); empty: the system's trust store.
    /// </summary>
    public string? RedisTlsCaFile { get; set; }

    /// <summary>How long a program waits for its first connection before it gives up with one line; reconnects after that never give up.</summary>
    public TimeSpan RedisConnectTimeout { get; set; } = TimeSpan.FromSeconds(60);

    public bool IsConfigured => !string.IsNullOrWhiteSpace(Redis);
}
