using System.ComponentModel.DataAnnotations;

namespace ComfySnap.ServiceDefaults.Routing;

/// <summary>
/// Model-aware routing of jobs ("Routing" section, read by the worker, the gateway and the operator
/// CLI). Off by default: every job goes to the shared queue, as before.
/// </summary>
public sealed class RoutingOptions
{
    public const string SectionName = "Routing";

    /// <summary>
    /// Workers consume the queue of every model set they hold beside the shared queue; publishers send
    /// jobs that carry a model set to the model exchange, keyed by it.
    /// </summary>
    public bool Enabled { get; set; }

    /// <summary>
    /// How long a job may wait in its model set's queue (the queue's message TTL) before it is moved to
    /// the shared queue, where any worker takes it. Bounds the wait when the set's only holder is busy or dead.
    /// Changing it needs the model queues deleted (RabbitMQ refuses a redeclare with other arguments).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "1.00:00:00")]
    public TimeSpan ModelQueueWait { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A worker that receives a job without a model set forwards it to the set's queue when another live worker holds the set.</summary>
    public bool ForwardUnrouted { get; set; } = true;

    /// <summary>
    /// An idle worker whose own model queues are empty takes on the model queue under the most pressure
    /// (waiting jobs and the age of the oldest), loading its models on the first job, instead of waiting
    /// for the TTL to spill those jobs to the shared queue.
    /// </summary>
    public bool Balance { get; set; } = true;

    /// <summary>
    /// How long jobs must have been waiting in a model queue that still has consumers (busy holders)
    /// before an idle worker takes it on; a queue with no consumer at all is taken on at once. Keep it
    /// below ModelQueueWait, or the TTL spill always comes first.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan TakeOnAfter { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often one job may be handed back after a model failed to load, before it fails (a bound on a fleet where no worker can load it).</summary>
    [Range(0, 100)]
    public int MaxHandBacks { get; set; } = 8;
}
