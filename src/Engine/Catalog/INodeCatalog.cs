namespace ComfySnap.Engine.Catalog;

/// <summary>The node types a workflow may use: a worker's registry, or the catalog the workers published.</summary>
public interface INodeCatalog
{
    /// <summary>Every node type, in registration order (built-in first, then node packs).</summary>
    IReadOnlyList<NodeSpec> Nodes { get; }

    /// <summary>The node type, or null when there is none of that name.</summary>
    NodeSpec? Find(string classType);
}
