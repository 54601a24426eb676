using System.Diagnostics;
using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using ComfySnap.Contracts;
using ComfySnap.Gateway.State;
using ComfySnap.Gateway.Telemetry;
using ComfySnap.Gateway.WebSockets;

namespace ComfySnap.Gateway.Relay;

/// <summary>
/// Turns the workers' bus events for prompts submitted through a gateway into ComfyUI's WebSocket
/// messages for the prompt's client, and writes the history entry when a prompt ends. Every gateway
/// hears every event; each tells its own clients, and the first writes the (identical) history entry.
/// Message order, as ComfyUI: execution_start, execution_cached, (executing, progress)*, executed
/// per output node, execution_success | execution_error | execution_interrupted, executing null.
/// The history entry is written after `executed` (which does not wait for it, as in ComfyUI) and
/// before the terminal messages, so a client that reads /history on execution_success (or error,
/// interrupted) or on `executing` null finds it.
/// </summary>
public sealed class PromptRelay(
    PromptStore prompts,
    HistoryStore history,
    OutputFileStore files,
    ClientHub hub,
    TimeProvider time,
    GatewayMetrics metrics,
    ILogger<PromptRelay> logger)
{
    /// <summary>The history's type of an output written to the object store (not on /view).</summary>
    public const string ObjectOutputType = "object";

    private readonly ConcurrentDictionary<string, RelayState> _states = new(StringComparer.Ordinal);

    public async Task OnAcceptedAsync(WorkflowAccepted accepted)
    {
        var stage = Stopwatch.GetTimestamp();
        var state = await StateAsync(accepted.JobId).ConfigureAwait(false);
        if (state.Record is null)
        {
            return;
        }

        prompts.MarkRunning(accepted.JobId);
        Start(state);
        metrics.Stage(GatewayStages.RelayAccepted, stage);
    }

    public async Task OnProgressAsync(WorkflowProgress progress)
    {
        var state = await StateAsync(progress.JobId).ConfigureAwait(false);
        if (state.Record is not { } record)
        {
            return;
        }

        Start(state);
        if (!state.CachedSent)
        {
            // The first progress event of a job is never conflated away: it is the first node the
            // worker ran; the nodes before it in run order came from its node cache.
            SendCached(state, record.Order.Take(Math.Clamp(progress.NodeIndex, 0, record.Order.Count)));
        }

        if (state.CurrentNode != progress.NodeId)
        {
            state.CurrentNode = progress.NodeId;
            Send(state, "executing", new JsonObject { ["node"] = progress.NodeId, ["display_node"] = progress.NodeId, ["prompt_id"] = record.PromptId });
        }

        if (progress.Total > 1)
        {
            Send(state, "progress", new JsonObject { ["value"] = progress.Step, ["max"] = progress.Total, ["prompt_id"] = record.PromptId, ["node"] = progress.NodeId });
        }
    }

    public async Task OnCompletedAsync(WorkflowCompleted completed)
    {
        var stage = Stopwatch.GetTimestamp();
        var state = await StateAsync(completed.JobId).ConfigureAwait(false);
        stage = metrics.Stage(GatewayStages.RelayLookup, stage);
        if (state.Record is not { } record)
        {
            _states.TryRemove(completed.JobId, out _);
            return;
        }

        Start(state);
        if (!state.CachedSent)
        {
            SendCached(state, completed.FromCache ? record.Order : completed.Timings.Nodes.Where(n => n.CacheHit).Select(n => n.NodeId));
        }

        var outputs = new JsonObject();
        var meta = new JsonObject();
        var executed = new List<(string Node, JsonObject Output)>();
        // Every output is named in the same round trip: all registrations go out before the first is awaited.
        var registrations = completed.Outputs.Select(f => f.ObjectUri is null ? files.RegisterAsync(record.PromptId, f) : null).ToList();
        foreach (var group in completed.Outputs.Select((file, index) => (File: file, Index: index)).GroupBy(o => o.File.NodeId))
        {
            var images = new JsonArray();
            foreach (var (file, index) in group)
            {
                // An output written to the job's bucket (extra_data.delivery) has no bytes here: listed
                // with its object's address, type "object", not served by /view.
                if (file.ObjectUri is { } objectUri)
                {
                    images.Add(new JsonObject { ["filename"] = file.FileName, ["subfolder"] = "", ["type"] = ObjectOutputType, ["url"] = file.Url, ["object_uri"] = objectUri });
                    continue;
                }

                var image = await registrations[index]!.ConfigureAwait(false);
                images.Add(new JsonObject { ["filename"] = image.Filename, ["subfolder"] = image.Subfolder, ["type"] = image.Type });
            }

            var output = new JsonObject { ["images"] = images };
            outputs[group.Key] = output;
            meta[group.Key] = new JsonObject { ["node_id"] = group.Key, ["display_node"] = group.Key, ["parent_node"] = null, ["real_node_id"] = group.Key };
            executed.Add((group.Key, output));
        }

        stage = metrics.Stage(GatewayStages.RelayOutputs, stage);
        // `executed` does not wait for the history entry: ComfyUI sends it as each output node
        // finishes and writes the history at the prompt's end; the entry is there by the terminal messages.
        foreach (var (node, output) in executed)
        {
            if (state.CurrentNode != node)
            {
                state.CurrentNode = node;
                Send(state, "executing", new JsonObject { ["node"] = node, ["display_node"] = node, ["prompt_id"] = record.PromptId });
            }

            Send(state, "executed", new JsonObject { ["node"] = node, ["display_node"] = node, ["output"] = output.DeepClone(), ["prompt_id"] = record.PromptId });
        }

        stage = metrics.Stage(GatewayStages.RelayExecuted, stage);
        var success = Status(state, "execution_success", new JsonObject { ["prompt_id"] = record.PromptId, ["timestamp"] = Now() });
        await FinishAsync(record, Entry(record, outputs, meta, state, "success", completed: true)).ConfigureAwait(false);
        stage = metrics.Stage(GatewayStages.RelayHistory, stage);
        Send(state, success);
        await EndAsync(state, record).ConfigureAwait(false);
        metrics.Stage(GatewayStages.RelayEnd, stage);
        logger.LogInformation("Prompt {PromptId} completed: {OutputCount} output(s){Cached}", record.PromptId, completed.Outputs.Count, completed.FromCache ? " from the cache" : "");
    }

    public async Task OnFailedAsync(WorkflowFailed failed)
    {
        var state = await StateAsync(failed.JobId).ConfigureAwait(false);
        if (state.Record is not { } record)
        {
            _states.TryRemove(failed.JobId, out _);
            return;
        }

        Start(state);
        var nodeId = failed.NodeErrors.Keys.FirstOrDefault() ?? state.CurrentNode;
        var nodeType = nodeId is not null && record.Prompt[nodeId]?["class_type"] is { } type ? type.GetValue<string>() : null;
        var executed = new JsonArray([.. failed.CompletedNodes.Select(n => (JsonNode)n)]);
        (string, JsonObject) message = failed.Kind == FailureKind.Cancelled
            ? ("execution_interrupted", new JsonObject
            {
                ["prompt_id"] = record.PromptId, ["node_id"] = nodeId, ["node_type"] = nodeType, ["executed"] = executed, ["timestamp"] = Now(),
            })
            : ("execution_error", new JsonObject
            {
                ["prompt_id"] = record.PromptId, ["node_id"] = nodeId, ["node_type"] = nodeType, ["executed"] = executed,
                ["exception_message"] = failed.Message, ["exception_type"] = failed.Kind.ToString(), ["traceback"] = new JsonArray(),
                ["current_inputs"] = new JsonObject(), ["current_outputs"] = new JsonObject(), ["timestamp"] = Now(),
            });
        var final = Status(state, message.Item1, message.Item2);
        await FinishAsync(record, Entry(record, [], [], state, "error", completed: false)).ConfigureAwait(false);
        Send(state, final);
        await EndAsync(state, record).ConfigureAwait(false);
        logger.LogInformation("Prompt {PromptId} ended with {Event}: {Reason}", record.PromptId, message.Item1, failed.Message);
    }

    /// <summary>Tells every client of this gateway the queue length (ComfyUI's status broadcast).</summary>
    public async Task BroadcastStatusAsync() =>
        hub.Broadcast(ComfyMessage.Create("status", new JsonObject { ["status"] = await QueueInfoAsync().ConfigureAwait(false) }));

    /// <summary>ComfyUI's <c>{exec_info: {queue_remaining}}</c>.</summary>
    public async Task<JsonObject> QueueInfoAsync() =>
        new() { ["exec_info"] = new JsonObject { ["queue_remaining"] = await prompts.RemainingAsync().ConfigureAwait(false) } };

    private async Task<RelayState> StateAsync(string promptId)
    {
        if (_states.TryGetValue(promptId, out var state))
        {
            return state;
        }

        var record = await prompts.GetAsync(promptId).ConfigureAwait(false);
        return _states.GetOrAdd(promptId, new RelayState(record));
    }

    private void Start(RelayState state)
    {
        if (!state.Started)
        {
            state.Started = true;
            Send(state, Status(state, "execution_start", new JsonObject { ["prompt_id"] = state.Record!.PromptId, ["timestamp"] = Now() }));
        }
    }

    private void SendCached(RelayState state, IEnumerable<string> nodes)
    {
        state.CachedSent = true;
        Send(state, Status(state, "execution_cached", new JsonObject
        {
            ["nodes"] = new JsonArray([.. nodes.Select(n => (JsonNode)n)]), ["prompt_id"] = state.Record!.PromptId, ["timestamp"] = Now(),
        }));
    }

    // One round trip: the entry's commands go out first, so no reader finds the prompt gone from
    // the queue before its history entry is there (Redis runs one connection's commands in order).
    private Task FinishAsync(PromptRecord record, JsonObject entry) =>
        Task.WhenAll(history.AddAsync(record.PromptId, entry), prompts.RemoveAsync(record.PromptId));

    private async Task EndAsync(RelayState state, PromptRecord record)
    {
        Send(state, "executing", new JsonObject { ["node"] = null, ["prompt_id"] = record.PromptId });
        _states.TryRemove(record.PromptId, out _);
        await BroadcastStatusAsync().ConfigureAwait(false);
    }

    private static JsonObject Entry(PromptRecord record, JsonObject outputs, JsonObject meta, RelayState state, string status, bool completed) => new()
    {
        ["prompt"] = record.ToQueueItem(),
        ["outputs"] = outputs,
        ["status"] = new JsonObject { ["status_str"] = status, ["completed"] = completed, ["messages"] = state.Messages.DeepClone() },
        ["meta"] = meta,
    };

    // A status message: sent to the client and kept for the history entry's status.messages.
    private static ComfyMessage Status(RelayState state, string type, JsonObject data)
    {
        state.Messages.Add(new JsonArray(type, data.DeepClone()));
        return ComfyMessage.Create(type, data);
    }

    private void Send(RelayState state, string type, JsonObject data) => Send(state, ComfyMessage.Create(type, data));

    private void Send(RelayState state, ComfyMessage message) => hub.Send(state.Record!.ClientId, message);

    private long Now() => time.GetUtcNow().ToUnixTimeMilliseconds();
}
