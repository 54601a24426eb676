using System.Diagnostics.CodeAnalysis;
using ComfySnap.Engine.Catalog;
using ComfySnap.NodeSdk;
using Microsoft.Extensions.Logging;

namespace ComfySnap.Engine.Nodes;

/// <summary>
/// All known node types by class_type: their code and their specs. Built-in nodes register first,
/// then node packs in name order; on a duplicate class_type the first registration wins and a
/// warning names both.
/// </summary>
public sealed class NodeRegistry(ILogger<NodeRegistry> logger) : INodeCatalog
{
    private readonly Dictionary<string, (ComfyNode Node, NodeSpec Spec, string Source)> _nodes = new(StringComparer.Ordinal);

    public void Register(ComfyNode node, string source)
    {
        if (_nodes.TryGetValue(node.ClassType, out var existing))
        {
            logger.LogWarning("Node type {ClassType} from {Source} ignored: already registered by {ExistingSource}", node.ClassType, source, existing.Source);
            return;
        }

        _nodes[node.ClassType] = (node, NodeSpec.Of(node), source);
    }

    public bool TryGet(string classType, [NotNullWhen(true)] out ComfyNode? node)
    {
        node = _nodes.TryGetValue(classType, out var entry) ? entry.Node : null;
        return node is not null;
    }

    /// <summary>Every registered node, in registration order (built-in first, then packs).</summary>
    public IReadOnlyList<ComfyNode> All => [.. _nodes.Values.Select(e => e.Node)];

    public IReadOnlyList<NodeSpec> Nodes => [.. _nodes.Values.Select(e => e.Spec)];

    public NodeSpec? Find(string classType) => _nodes.TryGetValue(classType, out var entry) ? entry.Spec : null;

    public string SourceOf(string classType) => _nodes.TryGetValue(classType, out var entry) ? entry.Source : "unknown";
}
