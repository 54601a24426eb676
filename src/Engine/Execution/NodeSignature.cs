using System.Security.Cryptography;
using System.Text;
using ComfySnap.Engine.Graph;

namespace ComfySnap.Engine.Execution;

/// <summary>
/// A node's cache key, as ComfyUI computes it: class_type, its literal inputs and the signatures
/// of the nodes it links to (with output index), so a change anywhere upstream changes it.
/// </summary>
internal static class NodeSignature
{
    public static string Compute(WorkflowNode node, IReadOnlyDictionary<string, object?> literals, IReadOnlyDictionary<string, string> upstream, bool idempotent)
    {
        var text = new StringBuilder(node.ClassType).Append('|');
        foreach (var (name, input) in node.Inputs.OrderBy(i => i.Key, StringComparer.Ordinal))
        {
            text.Append(name).Append('=');
            _ = input switch
            {
                // An undeclared input is ignored by validation and execution, so its link may point anywhere (even nowhere).
                WorkflowInput.Link link => text.Append('@').Append(upstream.TryGetValue(link.NodeId, out var source) ? source : "ignored").Append('#').Append(link.OutputIndex),
                _ => text.Append(literals.TryGetValue(name, out var v) ? Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture) : "?"),
            };
            text.Append(';');
        }

        if (!idempotent)
        {
            // Never equal to an earlier run: the node and everything downstream re-run.
            text.Append("nonce=").Append(Guid.NewGuid());
        }

        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }
}
