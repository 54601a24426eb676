using System.ComponentModel.DataAnnotations;

namespace ComfySnap.Worker.Caching;

/// <summary>
/// The output cache. Bound from the "Cache" configuration section, whose Redis connection settings
/// (Cache:Redis; empty: the in-process cache) are <see cref="ServiceDefaults.Redis.RedisConnectionOptions"/>.
/// </summary>
public sealed class CacheOptions
{
    public const string SectionName = "Cache";

    /// <summary>Prefix of every key this worker writes.</summary>
    [Required]
    public string KeyPrefix { get; set; } = "comfysnap:";

    /// <summary>How long cached results, large outputs and completed-job answers live.</summary>
    public TimeSpan Ttl { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Bound of the in-process cache.</summary>
    [Range(1024, long.MaxValue)]
    public long InProcessMaxBytes { get; set; } = 256L * 1024 * 1024;
}
