using ComfySnap.Operator.Cli;
using ComfySnap.ServiceDefaults.RabbitMq;
using Microsoft.Extensions.Logging.Abstractions;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace ComfySnap.Operator.Status;

/// <summary>Ready messages and consumers of one queue; null counts when the queue does not exist.</summary>
public sealed record QueueDepth(string Queue, uint? Messages, uint? Consumers);

/// <summary>Queue depth and consumer count by AMQP passive declare (no management plugin needed; unacked messages are not counted).</summary>
public static class QueueProbe
{
    public static async Task<IReadOnlyList<QueueDepth>> ProbeAsync(Connection connection, IEnumerable<string> queues, CancellationToken cancellationToken)
    {
        var rabbit = connection.Broker;
        var factory = rabbit.CreateConnectionFactory(new BrokerCertificateValidator(rabbit, new BrokerConnectionState(), NullLogger.Instance), "comfysnap-operator-status");
        await using var amqp = await factory.CreateConnectionAsync(rabbit, cancellationToken);
        var result = new List<QueueDepth>();
        foreach (var queue in queues)
        {
            // A passive declare of a missing queue closes the channel: one channel per queue.
            await using var channel = await amqp.CreateChannelAsync(cancellationToken: cancellationToken);
            try
            {
                var ok = await channel.QueueDeclarePassiveAsync(queue, cancellationToken);
                result.Add(new QueueDepth(queue, ok.MessageCount, ok.ConsumerCount));
            }
            catch (OperationInterruptedException)
            {
                result.Add(new QueueDepth(queue, null, null));
            }
        }

        return result;
    }
}
