using RabbitMQ.Client;

namespace ComfySnap.Bench.Bus;

/// <summary>Removes what a bench run declared on the project's RabbitMQ: each named queue and its exchange.</summary>
public static class RabbitQueues
{
    public static async Task DeleteAsync(params string[] names)
    {
        var factory = new ConnectionFactory { Uri = new Uri($"amqp://{Uri.EscapeDataString(BusBench.RabbitMqUser)}:{Uri.EscapeDataString(BusBench.RabbitMqPassword)}@127.0.0.1:{BusBench.RabbitMqPort}/") };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        foreach (var name in names)
        {
            await channel.QueueDeleteAsync(name);
            await channel.ExchangeDeleteAsync(name);
        }
    }
}
