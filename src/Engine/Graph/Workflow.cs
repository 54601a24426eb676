namespace ComfySnap.Engine.Graph;

/// <summary>A parsed workflow: nodes by id, in the order they appear in the JSON.</summary>
public sealed class Workflow(IReadOnlyDictionary<string, WorkflowNode> nodes)
{
    public IReadOnlyDictionary<string, WorkflowNode> Nodes { get; } = nodes;

    /// <summary>Ids of the nodes <paramref name="targets"/> depend on, the targets included.</summary>
    public IReadOnlySet<string> AncestorsOf(IEnumerable<string> targets)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var stack = new Stack<string>(targets);
        while (stack.TryPop(out var id))
        {
            if (!seen.Add(id) || !Nodes.TryGetValue(id, out var node))
            {
                continue;
            }

            foreach (var link in node.Inputs.Values.OfType<WorkflowInput.Link>())
            {
                stack.Push(link.NodeId);
            }
        }

        return seen;
    }
}
