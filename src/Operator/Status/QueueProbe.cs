using ComfySnap.Operator.Cli;
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
        var factory = new ConnectionFactory
        {
            HostName = connection.Host,
            Port = connection.Port,
            VirtualHost = connection.VirtualHost,
            UserName = connection.Username,
            Password = connection.Password,
            ClientProvidedName = "comfysnap-operator-status",
            Ssl = new SslOption(connection.Host, enabled: connection.UseTls),
        };
        await using var amqp = await factory.CreateConnectionAsync(cancellationToken);
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
