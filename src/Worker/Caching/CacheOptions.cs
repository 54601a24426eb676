using System.ComponentModel.DataAnnotations;

namespace ComfySnap.Worker.Caching;

/// <summary>The output cache. Bound from the "Cache" configuration section.</summary>
public sealed class CacheOptions
{
    public const string SectionName = "Cache";

    /// <summary>Redis configuration string (e.g. "127.0.0.1:6379"); empty: the in-process cache.</summary>
    public string? Redis { get; set; }

    /// <summary>
    /// PEM file of the CA certificate(s) Redis's TLS certificate must chain to (with ssl=true in
    /// <see cref="Redis"/>); empty: the system's trust store.
    /// </summary>
    public string? RedisTlsCaFile { get; set; }

    /// <summary>Prefix of every key this worker writes.</summary>
    [Required]
    public string KeyPrefix { get; set; } = "comfysnap:";

    /// <summary>How long cached results, large outputs and completed-job answers live.</summary>
    public TimeSpan Ttl { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Bound of the in-process cache.</summary>
    [Range(1024, long.MaxValue)]
    public long InProcessMaxBytes { get; set; } = 256L * 1024 * 1024;
}
