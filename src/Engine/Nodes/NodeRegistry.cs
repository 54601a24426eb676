using System.Diagnostics.CodeAnalysis;
using ComfySnap.NodeSdk;
using Microsoft.Extensions.Logging;

namespace ComfySnap.Engine.Nodes;

/// <summary>
/// All known node types by class_type. Built-in nodes register first, then node packs in name
/// order; on a duplicate class_type the first registration wins and a warning names both.
/// </summary>
public sealed class NodeRegistry(ILogger<NodeRegistry> logger)
{
    private readonly Dictionary<string, (ComfyNode Node, string Source)> _nodes = new(StringComparer.Ordinal);

    public void Register(ComfyNode node, string source)
    {
        if (_nodes.TryGetValue(node.ClassType, out var existing))
        {
            logger.LogWarning("Node type {ClassType} from {Source} ignored: already registered by {ExistingSource}", node.ClassType, source, existing.Source);
            return;
        }

        _nodes[node.ClassType] = (node, source);
    }

    public bool TryGet(string classType, [NotNullWhen(true)] out ComfyNode? node)
    {
        node = _nodes.TryGetValue(classType, out var entry) ? entry.Node : null;
        return node is not null;
    }

    /// <summary>Every registered node, in registration order (built-in first, then packs).</summary>
    public IReadOnlyList<ComfyNode> All => [.. _nodes.Values.Select(e => e.Node)];

    public string SourceOf(string classType) => _nodes.TryGetValue(classType, out var entry) ? entry.Source : "unknown";

    /// <summary>A few registered names close to <paramref name="classType"/>, for error messages.</summary>
    public string Suggest(string classType)
    {
        var close = _nodes.Keys
            .OrderBy(k => Distance(k.ToUpperInvariant(), classType.ToUpperInvariant()))
            .Take(3);
        return string.Join(", ", close);
    }

    private static int Distance(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var current = new int[b.Length + 1];
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }

            previous = current;
        }

        return previous[b.Length];
    }
}
