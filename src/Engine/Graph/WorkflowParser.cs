using System.Text.Json;

namespace ComfySnap.Engine.Graph;

/// <summary>Parses ComfyUI's API format (`{"id": {"class_type": ..., "inputs": {...}}}`).</summary>
public static class WorkflowParser
{
    private static readonly JsonDocumentOptions DocumentOptions = new() { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip };

    public static Workflow Parse(string json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, DocumentOptions);
        }
        catch (JsonException e)
        {
            var where = $"line {(e.LineNumber ?? 0) + 1}, position {(e.BytePositionInLine ?? 0) + 1}";
            throw new WorkflowParseException($"Workflow is not valid JSON ({where})", $"{where}: {e.Message}");
        }

        using (document)
        {
            return FromJson(document.RootElement);
        }
    }

    /// <summary>Builds a workflow from an already parsed JSON object (e.g. from a bus message).</summary>
    public static Workflow FromJson(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new WorkflowParseException("Workflow must be a JSON object of nodes", $"found a JSON {root.ValueKind}");
        }

        // ComfyUI's UI exports wrap the graph as {"prompt": {...}}; accept that too.
        if (root.TryGetProperty("prompt", out var prompt) && prompt.ValueKind == JsonValueKind.Object)
        {
            root = prompt;
        }

        var nodes = new Dictionary<string, WorkflowNode>(StringComparer.Ordinal);
        var ids = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var property in root.EnumerateObject())
        {
            // Node ids key the node_errors of WorkflowFailed, which .NET consumers (MassTransit)
            // read case-insensitively and refuse empty: such a workflow's answer could not be delivered.
            if (string.IsNullOrWhiteSpace(property.Name) || !ids.Add(property.Name))
            {
                throw new WorkflowParseException(
                    string.IsNullOrWhiteSpace(property.Name) ? "A node id is empty" : $"Node id '{property.Name}' is used twice (ids are compared ignoring case)",
                    "node ids must be non-empty and unique ignoring case");
            }

            nodes[property.Name] = ParseNode(property.Name, property.Value);
        }

        return new Workflow(nodes);
    }

    private static WorkflowNode ParseNode(string id, JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new WorkflowParseException($"Node '{id}' is not an object", $"node '{id}': found a JSON {element.ValueKind}");
        }

        if (!element.TryGetProperty("class_type", out var classType) || classType.ValueKind != JsonValueKind.String)
        {
            throw new WorkflowParseException($"Node '{id}' has no class_type", $"node '{id}': \"class_type\" (a string) is required");
        }

        var inputs = new Dictionary<string, WorkflowInput>(StringComparer.Ordinal);
        if (element.TryGetProperty("inputs", out var inputsElement) && inputsElement.ValueKind == JsonValueKind.Object)
        {
            foreach (var input in inputsElement.EnumerateObject())
            {
                inputs[input.Name] = ParseInput(input.Value);
            }
        }

        return new WorkflowNode(id, classType.GetString()!, inputs);
    }

    // A link is exactly [string-or-number id, integer index]; anything else is a literal.
    private static WorkflowInput ParseInput(JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.Array && value.GetArrayLength() == 2)
        {
            var id = value[0];
            var index = value[1];
            if (id.ValueKind is JsonValueKind.String or JsonValueKind.Number && index.ValueKind == JsonValueKind.Number && index.TryGetInt32(out var i))
            {
                return new WorkflowInput.Link(id.ValueKind == JsonValueKind.String ? id.GetString()! : id.GetRawText(), i);
            }
        }

        return new WorkflowInput.Literal(value.Clone());
    }
}
