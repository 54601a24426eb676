namespace ComfySnap.Worker.Outbound;

/// <summary>What kind of network an address belongs to, for the outbound (SSRF) guard.</summary>
public enum NetworkClass
{
    /// <summary>A globally routed address: always allowed.</summary>
    Public,

    /// <summary>127.0.0.0/8, ::1.</summary>
    Loopback,

    /// <summary>169.254.0.0/16 (cloud metadata lives here), fe80::/10.</summary>
    LinkLocal,

    /// <summary>10/8, 172.16/12, 192.168/16, 100.64/10 (carrier-grade NAT), fc00::/7, fec0::/10.</summary>
    Private,

    /// <summary>0.0.0.0/8, :: (on Linux a connect to them reaches the host itself).</summary>
    Unspecified,

    /// <summary>224.0.0.0/4, ff00::/8.</summary>
    Multicast,

    /// <summary>Documentation, benchmarking, future-use and other special-purpose ranges.</summary>
    Reserved,
}
