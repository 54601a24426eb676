namespace ComfySnap.Operator.Webhooks;

/// <summary>Where the workers keep webhook dead letters and queue deliveries.</summary>
/// <param name="KeyPrefix">The workers' Cache:KeyPrefix.</param>
/// <param name="WebhookQueue">The workers' webhook queue (Webhooks:QueueName; default &lt;queue&gt;-webhooks).</param>
/// <param name="Json">One JSON object per dead letter instead of a table.</param>
public sealed record WebhookSettings(string KeyPrefix, string WebhookQueue, bool Json);
