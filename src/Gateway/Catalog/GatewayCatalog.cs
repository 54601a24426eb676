using ComfySnap.Engine.Catalog;

namespace ComfySnap.Gateway.Catalog;

/// <summary>The node catalog this gateway validates and answers /object_info with: the workers' latest published one, or none yet.</summary>
public sealed class GatewayCatalog
{
    private volatile PublishedCatalog? _current;

    public PublishedCatalog? Current => _current;

    /// <summary>What a client is told while no worker has published a catalog.</summary>
    public const string MissingMessage = "No node catalog yet: no worker has published the nodes it runs to Redis (start a worker on the same Redis and Cache:KeyPrefix)";

    internal void Set(PublishedCatalog catalog) => _current = catalog;
}
