using System.Text.Json.Nodes;
using ComfySnap.Gateway.State;

namespace ComfySnap.Gateway.Relay;

/// <summary>What this gateway has told a prompt's client so far (events of one prompt are handled one at a time).</summary>
public sealed class RelayState(PromptRecord? record)
{
    /// <summary>Null for jobs not submitted through a gateway: their events are not relayed.</summary>
    public PromptRecord? Record { get; } = record;

    public bool Started { get; set; }

    public bool CachedSent { get; set; }

    public string? CurrentNode { get; set; }

    /// <summary>The status messages for the history entry: <c>[[type, data], ...]</c>.</summary>
    public JsonArray Messages { get; } = [];
}
