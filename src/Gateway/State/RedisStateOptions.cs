using System.ComponentModel.DataAnnotations;

namespace ComfySnap.Gateway.State;

/// <summary>
/// Where the gateway's Redis state lives, read from the workers' "Cache" section so both use one
/// key prefix (the workers' node catalog is under it too). The defaults are the workers' defaults.
/// </summary>
public sealed class RedisStateOptions
{
    public const string SectionName = "Cache";

    /// <summary>The fleet's key prefix (Cache:KeyPrefix); the gateway's own keys add "gateway:".</summary>
    [Required]
    public string KeyPrefix { get; set; } = "comfysnap:";

    /// <summary>How long history, prompt records and uploads live (Cache:Ttl).</summary>
    public TimeSpan Ttl { get; set; } = TimeSpan.FromHours(24);
}
