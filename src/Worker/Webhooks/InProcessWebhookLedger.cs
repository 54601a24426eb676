using System.Collections.Concurrent;
using ComfySnap.Contracts;

namespace ComfySnap.Worker.Webhooks;

/// <summary>The ledger of a worker without Redis (in-memory bus, run alone): lost when it exits.</summary>
public sealed class InProcessWebhookLedger : IWebhookLedger
{
    private readonly ConcurrentDictionary<string, bool> _delivered = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, WebhookDeadLetter> _dead = new(StringComparer.Ordinal);

    public Task<bool> WasDeliveredAsync(string deliveryId, CancellationToken cancellationToken) => Task.FromResult(_delivered.ContainsKey(deliveryId));

    public Task MarkDeliveredAsync(string deliveryId, CancellationToken cancellationToken)
    {
        _delivered[deliveryId] = true;
        return Task.CompletedTask;
    }

    public Task AddDeadLetterAsync(WebhookDeadLetter deadLetter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(deadLetter);
        _dead[deadLetter.Delivery.DeliveryId] = deadLetter;
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<WebhookDeadLetter>> DeadLettersAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<WebhookDeadLetter>>([.. _dead.Values.OrderBy(d => d.FailedAt)]);

    public Task<WebhookDeadLetter?> TakeDeadLetterAsync(string deliveryId, CancellationToken cancellationToken) =>
        Task.FromResult(_dead.TryRemove(deliveryId, out var d) ? d : null);
}
