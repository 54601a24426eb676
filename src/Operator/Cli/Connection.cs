using ComfySnap.ServiceDefaults.RabbitMq;
using ComfySnap.ServiceDefaults.Redis;

namespace ComfySnap.Operator.Cli;

/// <summary>Where the workers are: RabbitMQ, the worker queue and the Redis holding claim-checked outputs.</summary>
/// <param name="RabbitMq">amqp://user:password@host:port/vhost.</param>
/// <param name="Queue">The workers' job queue (Bus:QueueName).</param>
/// <param name="Redis">host:port (Cache:Redis); null when outputs are never fetched.</param>
/// <param name="RabbitMqTlsCaFile">The private CA of an amqps:// broker (Bus:RabbitMq:TlsCaFile); null: the system's trust store.</param>
/// <param name="RedisTlsCaFile">The private CA of a TLS Redis (Cache:RedisTlsCaFile); null: the system's trust store.</param>
public sealed record Connection(Uri RabbitMq, string Queue, string? Redis, string? RabbitMqTlsCaFile = null, string? RedisTlsCaFile = null)
{
    // An operator command waits this long for a broker or Redis before it says why it cannot reach it.
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(30);

    /// <summary>The broker cluster's other nodes, host[:port] (--rabbitmq-nodes); empty: one broker.</summary>
    public IReadOnlyList<string> RabbitMqNodes { get; init; } = [];

    public string Host => RabbitMq.Host;

    public ushort Port => (ushort)(RabbitMq.IsDefaultPort || RabbitMq.Port <= 0 ? (UseTls ? 5671 : 5672) : RabbitMq.Port);

    /// <summary>amqps://: AMQP over TLS, the certificate checked against the host name.</summary>
    public bool UseTls => RabbitMq.Scheme == "amqps";

    public string VirtualHost => RabbitMq.AbsolutePath is "" or "/" ? "/" : Uri.UnescapeDataString(RabbitMq.AbsolutePath.TrimStart('/'));

    public string Username => UserInfo(0) ?? "guest";

    public string Password => UserInfo(1) ?? "guest";

    /// <summary>The URI without its password, for messages.</summary>
    public string Display => $"{(UseTls ? "amqps" : "amqp")}://{Username}@{Host}:{Port}/{(VirtualHost == "/" ? "" : VirtualHost)} queue {Queue}";

    /// <summary>The broker as every program's shared RabbitMQ set-up takes it.</summary>
    public RabbitMqOptions Broker => new()
    {
        Host = Host,
        Port = Port,
        Nodes = [.. RabbitMqNodes],
        VirtualHost = VirtualHost,
        Username = Username,
        Password = Password,
        UseTls = UseTls,
        TlsCaFile = RabbitMqTlsCaFile,
        ConnectTimeout = ConnectTimeout,
    };

    /// <summary>Redis as the shared Redis set-up takes it; null without --redis.</summary>
    public RedisConnectionOptions? RedisOptions => Redis is null ? null : new() { Redis = Redis, RedisTlsCaFile = RedisTlsCaFile, RedisConnectTimeout = ConnectTimeout };

    private string? UserInfo(int index)
    {
        var parts = RabbitMq.UserInfo.Split(':', 2);
        return parts.Length > index && parts[index].Length > 0 ? Uri.UnescapeDataString(parts[index]) : null;
    }
}
