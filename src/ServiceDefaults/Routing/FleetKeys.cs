namespace ComfySnap.ServiceDefaults.Routing;

/// <summary>
/// The fleet registry's Redis keys, under Cache:KeyPrefix: written by the workers, read by the workers
/// and by the operator CLI's `status`.
/// </summary>
public static class FleetKeys
{
    /// <summary>Hash: each worker's last heartbeat (JSON) by worker id; a dead worker's entry goes stale.</summary>
    public static string Workers(string prefix) => prefix + "fleet:workers";

    /// <summary>Hash: every model set seen (JSON) by key.</summary>
    public static string Sets(string prefix) => prefix + "fleet:sets";

    /// <summary>Hash: since when (Unix ms) each model queue has had jobs waiting without a break, by model-set key.</summary>
    public static string Waiting(string prefix) => prefix + "fleet:waiting";
}
