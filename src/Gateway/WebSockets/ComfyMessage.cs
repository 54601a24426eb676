using System.Text;
using System.Text.Json.Nodes;

namespace ComfySnap.Gateway.WebSockets;

/// <summary>One ComfyUI WebSocket message, <c>{"type": ..., "data": {...}}</c>, encoded once and shared by every recipient.</summary>
public sealed class ComfyMessage
{
    private ComfyMessage(string type, ReadOnlyMemory<byte> utf8)
    {
        Type = type;
        Utf8 = utf8;
    }

    public string Type { get; }

    public ReadOnlyMemory<byte> Utf8 { get; }

    /// <summary>Progress may be dropped for a slow client: a newer one supersedes it.</summary>
    public bool IsDroppable => Type == "progress";

    public static ComfyMessage Create(string type, JsonObject data) =>
        new(type, Encoding.UTF8.GetBytes(new JsonObject { ["type"] = type, ["data"] = data }.ToJsonString()));
}
