using System.ComponentModel.DataAnnotations;

namespace ComfySnap.Worker.Webhooks;

/// <summary>Result webhooks (<see cref="Contracts.RunWorkflow.Webhook"/>). Bound from "Webhooks".</summary>
public sealed class WebhookOptions
{
    public const string SectionName = "Webhooks";

    /// <summary>The HMAC-SHA256 key deliveries are signed with (UTF-8 bytes); a secret: give it as COMFYSNAP_Webhooks__SigningKey_FILE. Unset: deliveries go to the dead letters.</summary>
    public string? SigningKey { get; set; }

    /// <summary>The durable queue of pending deliveries; empty: "&lt;Bus:QueueName&gt;-webhooks".</summary>
    public string? QueueName { get; set; }

    /// <summary>POSTs per delivery before it is dead-lettered (5xx, timeouts and connection errors are retried; 4xx never).</summary>
    [Range(1, 100)]
    public int MaxAttempts { get; set; } = 6;

    /// <summary>The wait after the first failed attempt; doubled after each further one up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan FirstRetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long one POST may take (connect to the end of the answer's headers).</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Deliveries one worker carries out at the same time (beside its jobs, never instead of them).</summary>
    [Range(1, 1024)]
    public int ConcurrentDeliveries { get; set; } = 8;

    /// <summary>Post to loopback, link-local and private addresses too (off: public addresses only).</summary>
    public bool AllowPrivateNetworks { get; set; }

    /// <summary>CIDR ranges allowed although not public.</summary>
    public List<string> AllowedNetworks { get; set; } = [];

    public string EffectiveQueueName(string jobQueue) => string.IsNullOrWhiteSpace(QueueName) ? $"{jobQueue}-webhooks" : QueueName;
}
