using System.Text.Json;
using ComfySnap.Contracts;
using ComfySnap.Operator.Cli;
using ComfySnap.ServiceDefaults.Redis;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace ComfySnap.Operator.Webhooks;

/// <summary>The workers' webhook dead letters: the Redis hash &lt;prefix&gt;webhooks:dead-letters (field = delivery id, value = <see cref="WebhookDeadLetter"/> JSON).</summary>
public sealed class DeadLetterStore : IAsyncDisposable
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly ConnectionMultiplexer _redis;
    private readonly RedisKey _hash;

    private DeadLetterStore(ConnectionMultiplexer redis, string keyPrefix)
    {
        _redis = redis;
        _hash = keyPrefix + WebhookDeadLetter.RedisHash;
    }

    public static async Task<DeadLetterStore> OpenAsync(Connection connection, string keyPrefix, CancellationToken cancellationToken)
    {
        var options = connection.RedisOptions ?? throw new ArgumentException("the dead letters are in Redis: give --redis");
        return new DeadLetterStore(await RedisConnector.ConnectAsync(options, NullLogger.Instance, tune: null, cancellationToken), keyPrefix);
    }

    public async Task<IReadOnlyList<WebhookDeadLetter>> ListAsync() =>
        [.. (await _redis.GetDatabase().HashGetAllAsync(_hash)).Select(e => JsonSerializer.Deserialize<WebhookDeadLetter>(e.Value.ToString(), Json)).OfType<WebhookDeadLetter>().OrderBy(d => d.FailedAt)];

    public async Task<WebhookDeadLetter?> GetAsync(string deliveryId) =>
        await _redis.GetDatabase().HashGetAsync(_hash, deliveryId) is { HasValue: true } value ? JsonSerializer.Deserialize<WebhookDeadLetter>(value.ToString(), Json) : null;

    public Task<bool> RemoveAsync(string deliveryId) => _redis.GetDatabase().HashDeleteAsync(_hash, deliveryId);

    public async ValueTask DisposeAsync() => await _redis.DisposeAsync();
}
