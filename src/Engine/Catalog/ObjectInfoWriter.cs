using System.Text.Json.Nodes;
using ComfySnap.NodeSdk;

namespace ComfySnap.Engine.Catalog;

/// <summary>
/// Describes node types as ComfyUI's <c>/object_info</c> does: inputs by required and optional with
/// their options (default, min, max, step, choices; model file lists for model inputs, the input
/// folder for file inputs), outputs, category and output_node.
/// The node SDK declares no step, display name or description: INT steps are 1, FLOAT 0.01,
/// display_name is the class_type and description is empty.
/// </summary>
public static class ObjectInfoWriter
{
    public static JsonObject All(INodeCatalog nodes, IFileCatalog files)
    {
        var info = new JsonObject();
        foreach (var node in nodes.Nodes)
        {
            info[node.ClassType] = Describe(node, files);
        }

        return info;
    }

    public static JsonObject Describe(NodeSpec node, IFileCatalog files)
    {
        var required = new JsonObject();
        var optional = new JsonObject();
        foreach (var spec in node.Inputs)
        {
            (spec.Required ? required : optional)[spec.Name] = Input(spec, files);
        }

        var input = new JsonObject { ["required"] = required };
        var order = new JsonObject { ["required"] = new JsonArray([.. required.Select(p => (JsonNode)p.Key)]) };
        if (optional.Count > 0)
        {
            input["optional"] = optional;
            order["optional"] = new JsonArray([.. optional.Select(p => (JsonNode)p.Key)]);
        }

        return new JsonObject
        {
            ["input"] = input,
            ["input_order"] = order,
            ["output"] = Strings(node.Outputs),
            ["output_is_list"] = new JsonArray([.. node.Outputs.Select(_ => (JsonNode)false)]),
            ["output_name"] = Strings(node.Outputs),
            ["name"] = node.ClassType,
            ["display_name"] = node.ClassType,
            ["description"] = "",
            ["python_module"] = "nodes",
            ["category"] = node.Category,
            ["output_node"] = node.IsOutputNode,
        };
    }

    private static JsonArray Input(InputSpec spec, IFileCatalog files)
    {
        var options = new JsonObject();
        if (spec.FileSource == FileSource.Model && spec.ModelKind is { } kind)
        {
            return [Strings(files.Models(kind)), options];
        }

        if (spec.FileSource == FileSource.InputFolder)
        {
            options["image_upload"] = true;
            return [Strings(files.InputFiles), options];
        }

        if (spec.Default is { } value)
        {
            options["default"] = JsonValue(value);
        }

        switch (spec.Type)
        {
            case ComfyTypes.Int:
                AddRange(options, spec, long.MinValue, long.MaxValue);
                options["step"] = spec.Step is { } intStep ? (long)intStep : 1;
                break;
            case ComfyTypes.Float:
                AddRange(options, spec, double.MinValue, double.MaxValue);
                options["step"] = spec.Step ?? 0.01;
                break;
            case ComfyTypes.String:
                options["multiline"] = false;
                break;
            case ComfyTypes.Combo:
                return [Strings(spec.Choices ?? []), options];
        }

        return options.Count > 0 ? [spec.Type, options] : [spec.Type];
    }

    private static void AddRange(JsonObject options, InputSpec spec, double lowest, double highest)
    {
        if (spec.Min is { } min && min > lowest)
        {
            options["min"] = spec.Type == ComfyTypes.Int ? (long)min : min;
        }

        if (spec.Max is { } max && max < highest)
        {
            options["max"] = spec.Type == ComfyTypes.Int ? (long)max : max;
        }
    }

    private static JsonArray Strings(IEnumerable<string> values) => new([.. values.Select(v => (JsonNode)v)]);

    private static JsonNode? JsonValue(object value) => value switch
    {
        bool b => b,
        int i => i,
        long l => l,
        float f => f,
        double d => d,
        string s => s,
        _ => value.ToString(),
    };
}
