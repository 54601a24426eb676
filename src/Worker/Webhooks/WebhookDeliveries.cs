using System.Text.Json;
using System.Text.Json.Nodes;
using ComfySnap.Contracts;
using ComfySnap.Worker.Bus;
using Microsoft.Extensions.Options;

namespace ComfySnap.Worker.Webhooks;

/// <summary>Turns a job's answer into the delivery its webhook gets, and says where deliveries are queued.</summary>
public sealed class WebhookDeliveries(IOptions<WebhookOptions> options, IOptions<BusOptions> bus)
{
    public const string Completed = "workflow.completed";
    public const string Failed = "workflow.failed";

    /// <summary>The webhook queue's address (exchange: on RabbitMQ, where a queue: address would declare it classic).</summary>
    public Uri QueueAddress => new($"{(bus.Value.EffectiveTransport == "RabbitMq" ? "exchange" : "queue")}:{QueueName}");

    public string QueueName => options.Value.EffectiveQueueName(bus.Value.QueueName);

    /// <summary>The delivery of a completed job (one per JobId: a cached or replayed answer of the same JobId is not posted again); null without a webhook.</summary>
    public static DeliverWebhook? For(RunWorkflow job, WorkflowCompleted completed) =>
        job.Webhook is { } hook ? Build(hook, $"{job.JobId}:completed", job.JobId, Completed, "completed", JsonSerializer.SerializeToNode(completed, WebhookJson.Options)) : null;

    /// <summary>The delivery of a failure (each failure its own: a job sent again may fail again); null without a webhook.</summary>
    public static DeliverWebhook? For(RunWorkflow job, WorkflowFailed failed) =>
        job.Webhook is { } hook ? Build(hook, $"{job.JobId}:failed:{Guid.NewGuid():N}", job.JobId, Failed, "failed", JsonSerializer.SerializeToNode(failed, WebhookJson.Options)) : null;

    private static DeliverWebhook Build(JobWebhook hook, string deliveryId, string jobId, string kind, string property, JsonNode? result)
    {
        var body = new JsonObject
        {
            ["event"] = kind,
            ["deliveryId"] = deliveryId,
            ["jobId"] = jobId,
            [property] = result,
        };
        return new DeliverWebhook(deliveryId, jobId, hook.Url, kind, body.ToJsonString());
    }
}
