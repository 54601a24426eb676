using System.Text.Json;
using System.Text.Json.Nodes;

namespace ComfySnap.Engine.Validation;

/// <summary>Writes a validation report in the shape of ComfyUI's /prompt error answer.</summary>
public static class ComfyErrorJson
{
    public static string Serialize(ValidationReport report) => ToJson(report).ToJsonString(new JsonSerializerOptions { WriteIndented = true });

    /// <summary>The answer as a JSON object: <c>{error: {type, message, details}, node_errors: {id: {errors, class_type}}}</c>.</summary>
    public static JsonObject ToJson(ValidationReport report)
    {
        var nodeErrors = new JsonObject();
        foreach (var (id, node) in report.NodeErrors)
        {
            nodeErrors[id] = new JsonObject
            {
                ["errors"] = new JsonArray([.. node.Errors.Select(e => (JsonNode)new JsonObject
                {
                    ["type"] = e.Type,
                    ["message"] = e.Message,
                    ["details"] = e.Details,
                    ["extra_info"] = new JsonObject { ["input_name"] = e.InputName },
                })]),
                ["class_type"] = node.ClassType,
            };
        }

        return new JsonObject
        {
            ["error"] = report.Error is null ? null : new JsonObject
            {
                ["type"] = report.Error.Type,
                ["message"] = report.Error.Message,
                ["details"] = report.Error.Details,
            },
            ["node_errors"] = nodeErrors,
        };
    }
}
