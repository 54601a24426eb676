using System.ComponentModel.DataAnnotations;

namespace ComfySnap.Worker.Catalog;

/// <summary>The node catalog this worker publishes to Redis for gateways ("Catalog" section).</summary>
public sealed class CatalogOptions
{
    public const string SectionName = "Catalog";

    /// <summary>How often the worker rebuilds its catalog (model or input files may change), republishes it when it changed, and refreshes its keys.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a catalog outlives the last worker that runs it: long, so a gateway in front of a
    /// fleet scaled to zero still validates and queues prompts.
    /// </summary>
    [Range(typeof(TimeSpan), "00:01:00", "365.00:00:00")]
    public TimeSpan Ttl { get; set; } = TimeSpan.FromDays(7);
}
