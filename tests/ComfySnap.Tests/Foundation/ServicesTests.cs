using ComfySnap.Tests.Support;
using RabbitMQ.Client;
using StackExchange.Redis;

namespace ComfySnap.Tests.Foundation;

/// <summary>The RabbitMQ and Redis that `./comfysnap services start` runs answer on their ports.</summary>
[Trait("Category", "Integration")]
public sealed class ServicesTests
{
    [Fact]
    public async Task RabbitMq_round_trips_a_message_through_a_queue()
    {
        var factory = new ConnectionFactory { Uri = new Uri(TestEnvironment.RabbitMqUri) };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        var queue = (await channel.QueueDeclareAsync(exclusive: true, autoDelete: true)).QueueName;
        var body = Guid.NewGuid().ToByteArray();

        await channel.BasicPublishAsync("", queue, body);
        BasicGetResult? got = null;
        for (var i = 0; i < 50 && got is null; i++)
        {
            got = await channel.BasicGetAsync(queue, autoAck: true);
            if (got is null)
            {
                await Task.Delay(20);
            }
        }

        Assert.NotNull(got);
        Assert.Equal(body, got.Body.ToArray());
    }

    [Fact]
    public async Task Redis_stores_and_returns_bytes_with_a_ttl()
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(TestEnvironment.RedisEndpoint);
        var db = redis.GetDatabase();
        var key = "comfysnap-test:" + Guid.NewGuid();
        var value = Guid.NewGuid().ToByteArray();

        await db.StringSetAsync(key, value, TimeSpan.FromSeconds(30));

        Assert.Equal(value, (byte[]?)await db.StringGetAsync(key));
        Assert.InRange((await db.KeyTimeToLiveAsync(key))!.Value, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));
    }
}
