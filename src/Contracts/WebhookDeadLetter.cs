namespace ComfySnap.Contracts;

/// <summary>A webhook delivery that was given up (its retries spent, or answered 4xx); kept until an operator replays it.</summary>
/// <param name="Delivery">The delivery as it was queued.</param>
/// <param name="Attempts">POSTs made.</param>
/// <param name="LastError">The last answer or error (e.g. <c>503 Service Unavailable</c>, <c>connection refused</c>).</param>
/// <param name="FailedAt">When it was given up.</param>
public sealed record WebhookDeadLetter(DeliverWebhook Delivery, int Attempts, string LastError, DateTimeOffset FailedAt)
{
    /// <summary>The Redis hash (under <c>Cache:KeyPrefix</c>) of the dead letters: field = delivery id, value = this record as JSON.</summary>
    public const string RedisHash = "webhooks:dead-letters";
}
