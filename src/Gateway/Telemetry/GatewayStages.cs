namespace ComfySnap.Gateway.Telemetry;

/// <summary>The stages <see cref="GatewayMetrics"/> times, in the order a prompt passes them.</summary>
public static class GatewayStages
{
    /// <summary>POST /prompt: reading and parsing the body.</summary>
    public const string PostRead = "post.read";

    /// <summary>POST /prompt: the uploads it names and validation against the node catalog.</summary>
    public const string PostValidate = "post.validate";

    /// <summary>POST /prompt: the prompt's number and its Redis record (the queue entry).</summary>
    public const string PostRecord = "post.record";

    /// <summary>POST /prompt: sending RunWorkflow to the workers (until the broker confirmed it).</summary>
    public const string PostSend = "post.send";

    /// <summary>POST /prompt: the status broadcast and the answer, after the send.</summary>
    public const string PostAnswer = "post.answer";

    /// <summary>The worker's WorkflowAccepted: finding the prompt's record and marking it running.</summary>
    public const string RelayAccepted = "relay.accepted";

    /// <summary>WorkflowCompleted: finding the prompt's record (from Redis unless this gateway already holds it).</summary>
    public const string RelayLookup = "relay.lookup";

    /// <summary>WorkflowCompleted: naming the outputs for /view (their Redis entries).</summary>
    public const string RelayOutputs = "relay.outputs";

    /// <summary>WorkflowCompleted: the `executing`/`executed` frames queued for the client.</summary>
    public const string RelayExecuted = "relay.executed";

    /// <summary>WorkflowCompleted: the history entry and the queue removal.</summary>
    public const string RelayHistory = "relay.history";

    /// <summary>WorkflowCompleted: the final frames and the status broadcast.</summary>
    public const string RelayEnd = "relay.end";
}
