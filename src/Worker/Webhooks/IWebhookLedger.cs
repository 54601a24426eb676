using ComfySnap.Contracts;

namespace ComfySnap.Worker.Webhooks;

/// <summary>What survives a worker: which deliveries succeeded (so a redelivered one is not posted twice) and the dead letters.</summary>
public interface IWebhookLedger
{
    Task<bool> WasDeliveredAsync(string deliveryId, CancellationToken cancellationToken);

    Task MarkDeliveredAsync(string deliveryId, CancellationToken cancellationToken);

    Task AddDeadLetterAsync(WebhookDeadLetter deadLetter, CancellationToken cancellationToken);

    Task<IReadOnlyList<WebhookDeadLetter>> DeadLettersAsync(CancellationToken cancellationToken);

    /// <summary>Removes and returns one dead letter (null when there is none with that id).</summary>
    Task<WebhookDeadLetter?> TakeDeadLetterAsync(string deliveryId, CancellationToken cancellationToken);
}
