using System.Text.Json;
using ComfySnap.Contracts;

namespace ComfySnap.Worker.Webhooks;

/// <summary>The wire JSON of webhook bodies and dead letters: camelCase, enums as numbers, as on the bus.</summary>
public static class WebhookJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web);

    public static string Write(WebhookDeadLetter deadLetter) => JsonSerializer.Serialize(deadLetter, Options);

    public static WebhookDeadLetter? Read(string json) => JsonSerializer.Deserialize<WebhookDeadLetter>(json, Options);
}
