using RabbitMQ.Client;

namespace ComfySnap.TestSupport;

/// <summary>Removes what a test or bench run declared on RabbitMQ: each named queue and its exchange.</summary>
public static class RabbitQueues
{
    public static async Task DeleteAsync(string amqpUri, params string[] names)
    {
        var factory = new ConnectionFactory { Uri = new Uri(amqpUri) };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        foreach (var name in names)
        {
            await channel.QueueDeleteAsync(name);
            await channel.ExchangeDeleteAsync(name);
        }
    }

    /// <summary>A worker queue with the error and skipped queues MassTransit adds beside it.</summary>
    public static string[] WithErrorQueues(string queue) => [queue, queue + "_error", queue + "_skipped"];
}
