using System.Text.Json.Nodes;

namespace ComfySnap.Gateway.Endpoints;

/// <summary>JSON answers built as nodes (ComfyUI's shapes are dictionaries, not records).</summary>
public static class ComfyJson
{
    public static IResult Ok(JsonNode node) => Results.Text(node.ToJsonString(), "application/json", statusCode: StatusCodes.Status200OK);

    public static IResult Status(JsonNode node, int statusCode) => Results.Text(node.ToJsonString(), "application/json", statusCode: statusCode);

    /// <summary>The request body as a JSON object; an empty object for an empty body; null when it is not a JSON object.</summary>
    public static async Task<JsonObject?> ReadObjectAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(request.Body);
        var text = await reader.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
        if (string.IsNullOrWhiteSpace(text))
        {
            return [];
        }

        try
        {
            return JsonNode.Parse(text) as JsonObject;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    public static IReadOnlyList<string> Strings(JsonNode? node) =>
        node is JsonArray array ? [.. array.Select(n => n?.ToString()).OfType<string>()] : [];

    public static bool IsTrue(JsonNode? node) => node is JsonValue value && value.TryGetValue<bool>(out var b) && b;
}
