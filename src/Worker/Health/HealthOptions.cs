using System.ComponentModel.DataAnnotations;

namespace ComfySnap.Worker.Health;

/// <summary>The worker's probe endpoints, /health and /ready ("Health" section).</summary>
public sealed class HealthOptions
{
    public const string SectionName = "Health";

    /// <summary>TCP port of the probe listener; 0 (the default outside containers) runs none.</summary>
    [Range(0, 65535)]
    public int Port { get; set; }

    /// <summary>Address it binds: all interfaces, as a kubelet or compose healthcheck reaches it from outside the process.</summary>
    [Required]
    public string Address { get; set; } = "0.0.0.0";
}
