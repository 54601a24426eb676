using System.ComponentModel.DataAnnotations;

namespace ComfySnap.Gateway;

/// <summary>The ComfyUI-compatible gateway ("Gateway" configuration section). Bus and Redis come from the worker's "Bus" and "Cache" sections.</summary>
public sealed class GatewayOptions
{
    public const string SectionName = "Gateway";

    /// <summary>Kestrel URL(s), ';'-separated. Loopback by default, as ComfyUI: expose it on purpose.</summary>
    [Required]
    public string Listen { get; set; } = "http://127.0.0.1:8188";

    /// <summary>When set, every request needs it: <c>Authorization: Bearer KEY</c>, <c>X-API-Key: KEY</c> or <c>?token=KEY</c> (WebSocket clients).</summary>
    public string? ApiKey { get; set; }

    /// <summary>Names this gateway's event queue; empty: host name + pid + a random suffix.</summary>
    public string? InstanceId { get; set; }

    /// <summary>Messages waiting for one WebSocket client; beyond it progress is dropped (oldest first), and a client that still cannot keep up is disconnected.</summary>
    [Range(8, 100_000)]
    public int ClientQueueCapacity { get; set; } = 256;

    /// <summary>History entries kept (ComfyUI keeps 10,000); each also expires with Cache:Ttl.</summary>
    [Range(1, 1_000_000)]
    public int MaxHistoryItems { get; set; } = 10_000;

    /// <summary>Largest file /upload/image and /upload/mask take; larger ones are answered 413.</summary>
    [Range(1, 1L << 30)]
    public long MaxUploadBytes { get; set; } = 20L * 1024 * 1024;

    /// <summary>How often the gateway checks Redis for a newer node catalog (workers also announce one at once on pub/sub; this catches what was missed).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan CatalogPollInterval { get; set; } = TimeSpan.FromSeconds(10);

    private readonly string _randomSuffix = Guid.NewGuid().ToString("N")[..8];

    public string EffectiveInstanceId => string.IsNullOrWhiteSpace(InstanceId) ? $"{Environment.MachineName}-{Environment.ProcessId}-{_randomSuffix}" : InstanceId;
}
