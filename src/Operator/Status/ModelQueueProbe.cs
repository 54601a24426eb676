using System.Text.Json;
using ComfySnap.Operator.Cli;
using ComfySnap.ServiceDefaults.RabbitMq;
using Microsoft.Extensions.Logging.Abstractions;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace ComfySnap.Operator.Status;

/// <summary>One model set's queue: ready jobs, consumers (workers serving it) and how long its oldest job has waited.</summary>
public sealed record ModelQueueDepth(string Key, string Queue, uint? Messages, uint? Consumers, TimeSpan? OldestWait);

/// <summary>
/// Depth and consumers by passive declare, and the oldest job's wait by peeking at the queue's head
/// (basic.get, then nack with requeue: the job goes back to the head, unchanged but marked redelivered).
/// </summary>
public static class ModelQueueProbe
{
    public static async Task<IReadOnlyList<ModelQueueDepth>> ProbeAsync(Connection connection, IEnumerable<(string Key, string Queue)> queues, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var rabbit = connection.Broker;
        var factory = rabbit.CreateConnectionFactory(new BrokerCertificateValidator(rabbit, new BrokerConnectionState(), NullLogger.Instance), "comfysnap-operator-status");
        await using var amqp = await factory.CreateConnectionAsync(rabbit, cancellationToken);
        var result = new List<ModelQueueDepth>();
        foreach (var (key, queue) in queues)
        {
            // A passive declare of a missing queue closes the channel: one channel per queue.
            await using var channel = await amqp.CreateChannelAsync(cancellationToken: cancellationToken);
            try
            {
                var ok = await channel.QueueDeclarePassiveAsync(queue, cancellationToken);
                result.Add(new ModelQueueDepth(key, queue, ok.MessageCount, ok.ConsumerCount, ok.MessageCount > 0 ? await OldestWaitAsync(channel, queue, now, cancellationToken) : null));
            }
            catch (OperationInterruptedException)
            {
                result.Add(new ModelQueueDepth(key, queue, null, null, null));
            }
        }

        return result;
    }

    private static async Task<TimeSpan?> OldestWaitAsync(IChannel channel, string queue, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var head = await channel.BasicGetAsync(queue, autoAck: false, cancellationToken);
        if (head is null)
        {
            return null;
        }

        try
        {
            return SentTime(head) is { } sent ? now - sent : null;
        }
        finally
        {
            await channel.BasicNackAsync(head.DeliveryTag, multiple: false, requeue: true, cancellationToken);
        }
    }

    // MassTransit's envelope carries sentTime; a plain JSON job has only the AMQP timestamp, if its publisher set one.
    private static DateTimeOffset? SentTime(BasicGetResult head)
    {
        try
        {
            using var body = JsonDocument.Parse(head.Body);
            if (body.RootElement.ValueKind == JsonValueKind.Object && body.RootElement.TryGetProperty("sentTime", out var sent) && sent.TryGetDateTimeOffset(out var at))
            {
                return at;
            }
        }
        catch (JsonException)
        {
            // not JSON: fall back to the AMQP timestamp
        }

        return head.BasicProperties.Timestamp.UnixTime > 0 ? DateTimeOffset.FromUnixTimeSeconds(head.BasicProperties.Timestamp.UnixTime) : null;
    }
}
