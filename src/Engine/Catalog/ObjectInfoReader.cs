using System.Text.Json;
using System.Text.Json.Nodes;
using ComfySnap.NodeSdk;

namespace ComfySnap.Engine.Catalog;

/// <summary>
/// Reads a node's object_info entry (plus its "comfysnap" extras) back into a <see cref="NodeSpec"/>,
/// so the gateway validates against exactly what /object_info shows its clients.
/// </summary>
internal static class ObjectInfoReader
{
    public static NodeSpec Read(string classType, JsonObject info, JsonObject? extras)
    {
        var fileInputs = extras?["file_inputs"] as JsonObject;
        var inputs = new List<InputSpec>();
        foreach (var (section, required) in new[] { ("required", true), ("optional", false) })
        {
            if (info["input"]?[section] is not JsonObject entries)
            {
                continue;
            }

            foreach (var (name, entry) in entries)
            {
                inputs.Add(Input(classType, name, entry as JsonArray, required, fileInputs?[name] as JsonObject));
            }
        }

        var size = extras?["image_size"] is JsonObject s
            ? new ImageSizeInputs(Text(s["width"]) ?? "width", Text(s["height"]) ?? "height", Text(s["batch_size"]))
            : null;
        return new NodeSpec(
            classType,
            Text(info["category"]) ?? "",
            inputs,
            [.. (info["output"] as JsonArray ?? []).Select(Text).OfType<string>()],
            info["output_node"] is JsonValue o && o.TryGetValue<bool>(out var output) && output,
            size);
    }

    private static InputSpec Input(string classType, string name, JsonArray? entry, bool required, JsonObject? file)
    {
        if (entry is null || entry.Count == 0)
        {
            throw new JsonException($"object_info of {classType}: input '{name}' is not [type, options]");
        }

        var options = entry.Count > 1 ? entry[1] as JsonObject : null;
        var source = FileSources.Parse(Text(file?["source"]));
        var spec = entry[0] is JsonArray choices
            ? new InputSpec(name, ComfyTypes.Combo) { Choices = source == FileSource.None ? [.. choices.Select(Text).OfType<string>()] : null }
            : new InputSpec(name, Text(entry[0]) ?? throw new JsonException($"object_info of {classType}: input '{name}' has no type"));
        return spec with
        {
            Required = required,
            Default = Default(spec.Type, options?["default"]),
            Min = Number(options?["min"]),
            Max = Number(options?["max"]),
            Step = Number(options?["step"]),
            FileSource = source,
            ModelKind = Text(file?["model_kind"]),
        };
    }

    private static object? Default(string type, JsonNode? value) => value switch
    {
        JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => v.GetValue<bool>(),
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonValue v when v.GetValueKind() == JsonValueKind.Number && type == ComfyTypes.Int && v.TryGetValue<long>(out var l) => l,
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => v.GetValue<double>(),
        _ => null,
    };

    private static double? Number(JsonNode? value) =>
        value is JsonValue v && v.GetValueKind() == JsonValueKind.Number ? v.GetValue<double>() : null;

    private static string? Text(JsonNode? value) =>
        value is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;
}
