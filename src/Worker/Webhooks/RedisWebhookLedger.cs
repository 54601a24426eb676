using ComfySnap.Contracts;
using ComfySnap.Worker.Caching;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace ComfySnap.Worker.Webhooks;

/// <summary>
/// The ledger in the workers' Redis (the output cache's connection): <c>&lt;prefix&gt;webhooks:delivered:&lt;id&gt;</c>
/// (lives Cache:Ttl) and the hash <c>&lt;prefix&gt;webhooks:dead-letters</c>, read by the operator CLI too.
/// </summary>
public sealed class RedisWebhookLedger(RedisOutputCache cache, IOptions<CacheOptions> options) : IWebhookLedger
{
    private IDatabase Db => cache.Connection?.GetDatabase() ?? throw new InvalidOperationException("Redis is not connected yet");

    private RedisKey DeadLetters => options.Value.KeyPrefix + WebhookDeadLetter.RedisHash;

    private RedisKey Delivered(string id) => $"{options.Value.KeyPrefix}webhooks:delivered:{id}";

    public async Task<bool> WasDeliveredAsync(string deliveryId, CancellationToken cancellationToken) =>
        await Db.KeyExistsAsync(Delivered(deliveryId)).ConfigureAwait(false);

    public Task MarkDeliveredAsync(string deliveryId, CancellationToken cancellationToken) =>
        Db.StringSetAsync(Delivered(deliveryId), DateTimeOffset.UtcNow.ToString("O"), options.Value.Ttl);

    public Task AddDeadLetterAsync(WebhookDeadLetter deadLetter, CancellationToken cancellationToken) =>
        Db.HashSetAsync(DeadLetters, deadLetter.Delivery.DeliveryId, WebhookJson.Write(deadLetter));

    public async Task<IReadOnlyList<WebhookDeadLetter>> DeadLettersAsync(CancellationToken cancellationToken) =>
        [.. (await Db.HashGetAllAsync(DeadLetters).ConfigureAwait(false)).Select(e => WebhookJson.Read(e.Value.ToString())).OfType<WebhookDeadLetter>().OrderBy(d => d.FailedAt)];

    public async Task<WebhookDeadLetter?> TakeDeadLetterAsync(string deliveryId, CancellationToken cancellationToken)
    {
        var value = await Db.HashGetAsync(DeadLetters, deliveryId).ConfigureAwait(false);
        return value.HasValue && await Db.HashDeleteAsync(DeadLetters, deliveryId).ConfigureAwait(false) ? WebhookJson.Read(value.ToString()) : null;
    }
}
