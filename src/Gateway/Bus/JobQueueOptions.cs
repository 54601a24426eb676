using System.ComponentModel.DataAnnotations;

namespace ComfySnap.Gateway.Bus;

/// <summary>
/// The workers' job queue, read from the same "Bus" section as the workers' (Bus:QueueName); the
/// broker connection is Bus:RabbitMq (ServiceDefaults). The default is the workers' default.
/// </summary>
public sealed class JobQueueOptions
{
    public const string SectionName = "Bus";

    [Required]
    public string QueueName { get; set; } = "comfysnap-run-workflow";
}
