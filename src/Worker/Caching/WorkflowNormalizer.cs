using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ComfySnap.Engine.Graph;

namespace ComfySnap.Worker.Caching;

/// <summary>
/// Writes a workflow in a canonical form: node ids replaced by ids derived from structure (each node
/// is named by the hash of its class_type, literals and the structure of what it links to), links
/// rewritten to those ids, object keys sorted. The same graph with other ids or key order gives the
/// same text. Structurally identical nodes collapse into one (they compute the same thing).
/// </summary>
public static class WorkflowNormalizer
{
    /// <summary>Extra text mixed into a literal input, e.g. a model file's size and mtime; null: none.</summary>
    public delegate string? InputFingerprint(WorkflowNode node, string inputName, JsonElement value);

    public static string Normalize(Workflow workflow, InputFingerprint? fingerprint = null)
    {
        var structural = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var id in workflow.Nodes.Keys)
        {
            StructuralHash(workflow, id, structural, [], fingerprint);
        }

        var canonicalIds = structural.Values.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)
            .Select((hash, index) => (hash, index)).ToDictionary(x => x.hash, x => x.index.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparer.Ordinal);

        var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            var written = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (id, node) in workflow.Nodes.OrderBy(n => canonicalIds[structural[n.Key]], StringComparer.Ordinal))
            {
                var canonicalId = canonicalIds[structural[id]];
                if (!written.Add(canonicalId))
                {
                    continue;
                }

                writer.WritePropertyName(canonicalId);
                writer.WriteStartObject();
                writer.WriteString("class_type", node.ClassType);
                writer.WritePropertyName("inputs");
                writer.WriteStartObject();
                foreach (var (name, input) in node.Inputs.OrderBy(i => i.Key, StringComparer.Ordinal))
                {
                    writer.WritePropertyName(name);
                    switch (input)
                    {
                        case WorkflowInput.Link link:
                            writer.WriteStartArray();
                            writer.WriteStringValue(structural.TryGetValue(link.NodeId, out var target) ? canonicalIds[target] : "?" + link.NodeId);
                            writer.WriteNumberValue(link.OutputIndex);
                            writer.WriteEndArray();
                            break;
                        case WorkflowInput.Literal literal:
                            WriteCanonical(writer, literal.Value);
                            break;
                    }

                    if (input is WorkflowInput.Literal l && fingerprint?.Invoke(node, name, l.Value) is { } fp)
                    {
                        writer.WriteString(name + "#file", fp);
                    }
                }

                writer.WriteEndObject();
                writer.WriteEndObject();
            }

            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    public static string Sha256Hex(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    private static string StructuralHash(Workflow workflow, string id, Dictionary<string, string> done, HashSet<string> visiting, InputFingerprint? fingerprint)
    {
        if (done.TryGetValue(id, out var known))
        {
            return known;
        }

        if (!workflow.Nodes.TryGetValue(id, out var node))
        {
            return "missing:" + id;
        }

        if (!visiting.Add(id))
        {
            throw new InvalidOperationException($"Workflow has a cycle through node {id}");
        }

        var text = new StringBuilder(node.ClassType).Append('\n');
        foreach (var (name, input) in node.Inputs.OrderBy(i => i.Key, StringComparer.Ordinal))
        {
            text.Append(name).Append('=');
            if (input is WorkflowInput.Link link)
            {
                text.Append("L:").Append(StructuralHash(workflow, link.NodeId, done, visiting, fingerprint)).Append(':').Append(link.OutputIndex);
            }
            else if (input is WorkflowInput.Literal literal)
            {
                text.Append("V:").Append(Canonical(literal.Value));
                if (fingerprint?.Invoke(node, name, literal.Value) is { } fp)
                {
                    text.Append("#F:").Append(fp);
                }
            }

            text.Append('\n');
        }

        visiting.Remove(id);
        var hash = Sha256Hex(text.ToString());
        done[id] = hash;
        return hash;
    }

    private static string Canonical(JsonElement value)
    {
        var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            WriteCanonical(writer, value);
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void WriteCanonical(Utf8JsonWriter writer, JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                writer.WriteStartObject();
                foreach (var p in value.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal))
                {
                    writer.WritePropertyName(p.Name);
                    WriteCanonical(writer, p.Value);
                }

                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in value.EnumerateArray())
                {
                    WriteCanonical(writer, item);
                }

                writer.WriteEndArray();
                break;
            default:
                value.WriteTo(writer);
                break;
        }
    }
}
