namespace ComfySnap.Contracts;

/// <summary>
/// One webhook delivery: queued by the worker that answered a job with a <see cref="JobWebhook"/>
/// (sent only when the job's message is acknowledged) to the webhook queue (<c>&lt;queue&gt;-webhooks</c>),
/// and posted by any worker's webhook consumer; also what an operator replays from the dead letters.
/// </summary>
/// <param name="DeliveryId">Unique per result: at most one successful POST per id; names its dead letter.</param>
/// <param name="JobId">The job whose result this is.</param>
/// <param name="Url">Where the body is posted.</param>
/// <param name="Event"><c>workflow.completed</c> or <c>workflow.failed</c>.</param>
/// <param name="Body">The JSON body exactly as posted and signed.</param>
public sealed record DeliverWebhook(string DeliveryId, string JobId, string Url, string Event, string Body);
