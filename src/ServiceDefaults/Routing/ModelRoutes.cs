namespace ComfySnap.ServiceDefaults.Routing;

/// <summary>
/// The names of the routing topology, all derived from the shared job queue's name (Bus:QueueName), so
/// two fleets on one broker never share a model queue.
/// </summary>
/// <param name="SharedQueue">The shared job queue; its fanout exchange has the same name.</param>
public sealed record ModelRoutes(string SharedQueue)
{
    /// <summary>The direct exchange jobs with a model set are sent to, keyed by the set's key; unroutable keys go to its alternate exchange, the shared queue's.</summary>
    public string ModelExchange => SharedQueue + "-models";

    /// <summary>The queue of one model set, bound to <see cref="ModelExchange"/> by its key.</summary>
    public string ModelQueue(string modelSetKey) => $"{SharedQueue}-model-{modelSetKey}";

    /// <summary>The model-set key of a model queue name, or null for any other queue.</summary>
    public string? KeyOfQueue(string queueName) =>
        queueName.StartsWith(SharedQueue + "-model-", StringComparison.Ordinal) ? queueName[(SharedQueue.Length + 7)..] : null;

    /// <summary>
    /// MassTransit's send address of the model exchange: declared by whoever sends first with the same
    /// type and alternate exchange as the workers bind it (RabbitMQ refuses a redeclare that differs).
    /// </summary>
    public Uri ModelExchangeAddress => new($"exchange:{ModelExchange}?type=direct&alternateexchange={SharedQueue}");

    /// <summary>The shared queue's exchange (a queue: address would declare the quorum queue as classic).</summary>
    public Uri SharedExchangeAddress => new($"exchange:{SharedQueue}");

    /// <summary>Message header: the workers that could not load one of the job's models, comma-separated.</summary>
    public const string HandedBackByHeader = "comfysnap-handed-back-by";

    /// <summary>Message header: why the last worker handed the job back.</summary>
    public const string HandBackReasonHeader = "comfysnap-hand-back-reason";

    /// <summary>Message header: set on a job a worker forwarded to its model queue.</summary>
    public const string ForwardedByHeader = "comfysnap-forwarded-by";
}
