namespace ComfySnap.Engine.Catalog;

/// <summary>
/// Where the node catalog lives in Redis, under the fleet's Cache:KeyPrefix:
/// documents by content hash (identical workers share one), a pointer to the one a worker most
/// recently booted with or changed to, a channel that announces a new pointer, and one record per
/// live worker naming the catalog it runs.
/// </summary>
public sealed class CatalogKeys(string prefix)
{
    /// <summary>A catalog document (JSON), by its id (<see cref="CatalogDocument.Id"/>).</summary>
    public string Document(string id) => $"{prefix}catalog:doc:{id}";

    /// <summary>The id of the catalog gateways validate against.</summary>
    public string Latest => prefix + "catalog:latest";

    /// <summary>Pub/sub channel: a worker set <see cref="Latest"/> (the message is the id).</summary>
    public string Changed => prefix + "catalog:changed";

    /// <summary>A live worker's record (JSON: catalog id, boot mode, snapshot), expiring when it stops refreshing it.</summary>
    public string Worker(string workerId) => $"{prefix}worker:{workerId}";
}
