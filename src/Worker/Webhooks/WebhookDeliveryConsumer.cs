using System.Text;
using ComfySnap.Contracts;
using ComfySnap.Worker.Outbound;
using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ComfySnap.Worker.Webhooks;

/// <summary>
/// Posts one delivery from the webhook queue: skipped when the ledger says it already succeeded,
/// retried with backoff on 5xx, timeouts and connection errors, dead-lettered after
/// <see cref="WebhookOptions.MaxAttempts"/> or at once on any other answer (4xx). The message stays
/// unacknowledged while it is retried, so a worker that dies meanwhile leaves it to another worker.
/// </summary>
public sealed class WebhookDeliveryConsumer(WebhookSender sender, IWebhookLedger ledger, IOptions<WebhookOptions> options, TimeProvider time, ILogger<WebhookDeliveryConsumer> logger)
    : IConsumer<DeliverWebhook>
{
    public async Task Consume(ConsumeContext<DeliverWebhook> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var delivery = context.Message;
        var token = context.CancellationToken;
        var url = Uri.TryCreate(delivery.Url, UriKind.Absolute, out var parsed) ? OutboundUrls.Redacted(parsed) : "(invalid URL)";
        if (await ledger.WasDeliveredAsync(delivery.DeliveryId, token).ConfigureAwait(false))
        {
            logger.LogInformation("Webhook {DeliveryId} of job {JobId} was already delivered: not posted again", delivery.DeliveryId, delivery.JobId);
            return;
        }

        var settings = options.Value;
        if (string.IsNullOrEmpty(settings.SigningKey))
        {
            await DeadLetterAsync(delivery, 0, "Webhooks:SigningKey is not set: nothing is posted unsigned", url, token).ConfigureAwait(false);
            return;
        }

        var key = Encoding.UTF8.GetBytes(settings.SigningKey);
        for (var attempt = 1; ; attempt++)
        {
            var result = await sender.PostAsync(delivery, key, token).ConfigureAwait(false);
            switch (result.Outcome)
            {
                case WebhookAttemptOutcome.Delivered:
                    await ledger.MarkDeliveredAsync(delivery.DeliveryId, token).ConfigureAwait(false);
                    logger.LogInformation("Webhook {DeliveryId} ({Event}) of job {JobId} delivered to {Url} on attempt {Attempt}: {Answer}",
                        delivery.DeliveryId, delivery.Event, delivery.JobId, url, attempt, result.Description);
                    return;
                case WebhookAttemptOutcome.Retry when attempt < settings.MaxAttempts:
                    var delay = WebhookRetry.Delay(attempt, settings.FirstRetryDelay, settings.MaxRetryDelay);
                    logger.LogWarning("Webhook {DeliveryId} of job {JobId} to {Url}: attempt {Attempt} of {MaxAttempts} failed ({Answer}); next in {DelayMs:0} ms",
                        delivery.DeliveryId, delivery.JobId, url, attempt, settings.MaxAttempts, result.Description, delay.TotalMilliseconds);
                    await Task.Delay(delay, time, token).ConfigureAwait(false);
                    break;
                default:
                    await DeadLetterAsync(delivery, attempt, result.Description, url, token).ConfigureAwait(false);
                    return;
            }
        }
    }

    private async Task DeadLetterAsync(DeliverWebhook delivery, int attempts, string error, string url, CancellationToken token)
    {
        await ledger.AddDeadLetterAsync(new WebhookDeadLetter(delivery, attempts, error, time.GetUtcNow()), token).ConfigureAwait(false);
        logger.LogError("Webhook {DeliveryId} of job {JobId} to {Url} dead-lettered after {Attempts} attempt(s): {Answer} (./comfysnap webhooks replay {DeliveryId})",
            delivery.DeliveryId, delivery.JobId, url, attempts, error, delivery.DeliveryId);
    }
}
