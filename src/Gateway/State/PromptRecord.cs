using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace ComfySnap.Gateway.State;

/// <summary>A prompt submitted through a gateway, as kept in Redis until its history entry replaces it.</summary>
public sealed record PromptRecord(
    [property: JsonPropertyName("number")] double Number,
    [property: JsonPropertyName("prompt_id")] string PromptId,
    [property: JsonPropertyName("prompt")] JsonObject Prompt,
    [property: JsonPropertyName("extra_data")] JsonObject ExtraData,
    [property: JsonPropertyName("outputs_to_execute")] IReadOnlyList<string> Outputs,
    [property: JsonPropertyName("order")] IReadOnlyList<string> Order,
    [property: JsonPropertyName("client_id")] string? ClientId)
{
    /// <summary>ComfyUI's queue item: <c>[number, prompt_id, prompt, extra_data, outputs_to_execute]</c>.</summary>
    public JsonArray ToQueueItem() =>
        [Number, PromptId, Prompt.DeepClone(), ExtraData.DeepClone(), new JsonArray([.. Outputs.Select(o => (JsonNode)o)])];
}
