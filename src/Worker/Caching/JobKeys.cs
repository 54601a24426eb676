namespace ComfySnap.Worker.Caching;

/// <summary>
/// The Redis keys of one JobId: its run lease and its stored answer. Both carry the JobId as a hash
/// tag (<c>{JobId}</c>), so on Redis Cluster they live in one slot and the lease scripts, which touch
/// both in one step, run there; Sentinel and single-node Redis ignore the braces.
/// </summary>
public static class JobKeys
{
    public static string Lease(string keyPrefix, string jobId) => $"{keyPrefix}lease:{{{jobId}}}";

    public static string Answer(string keyPrefix, string jobId) => $"{keyPrefix}job:{{{jobId}}}";
}
