using System.ComponentModel.DataAnnotations;
using ComfySnap.ServiceDefaults.RabbitMq;

namespace ComfySnap.Worker.Bus;

/// <summary>The message bus. Bound from the "Bus" configuration section and validated at start.</summary>
public sealed class BusOptions
{
    public const string SectionName = "Bus";

    /// <summary>"InMemory" or "RabbitMq"; empty: RabbitMq when RabbitMq:Host is set, else InMemory.</summary>
    public string? Transport { get; set; }

    [Required]
    public string QueueName { get; set; } = "comfysnap-run-workflow";

    /// <summary>Identifies this worker in events and names its cancel queue; empty: host name + pid.</summary>
    public string? WorkerId { get; set; }

    [Range(1, 1024)]
    public int PrefetchCount { get; set; } = 1;

    [Range(1, 1024)]
    public int ConcurrentMessageLimit { get; set; } = 1;

    /// <summary>Outputs up to this size travel inside WorkflowCompleted; larger ones as a cache key.</summary>
    [Range(0, 64 * 1024 * 1024)]
    public long MaxInlineBytes { get; set; } = 256 * 1024;

    /// <summary>How long a host stop waits for the bus to stop.</summary>
    public TimeSpan StopTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>After this, a running job's token fires on stop and its message goes back to the queue.</summary>
    public TimeSpan ConsumerStopTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>How often a ready worker publishes WorkerHeartbeat; zero turns heartbeats off.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The broker ("Bus:RabbitMq", shared with every program); its Host also picks the transport.</summary>
    public RabbitMqOptions RabbitMq { get; set; } = new();

    public string EffectiveTransport => string.IsNullOrWhiteSpace(Transport)
        ? (string.IsNullOrWhiteSpace(RabbitMq.Host) ? "InMemory" : "RabbitMq")
        : Transport;

    public string EffectiveWorkerId => string.IsNullOrWhiteSpace(WorkerId) ? $"{Environment.MachineName}-{Environment.ProcessId}" : WorkerId;
}
