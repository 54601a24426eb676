namespace ComfySnap.Operator.Cli;

/// <summary>Where the workers are: RabbitMQ, the worker queue and the Redis holding claim-checked outputs.</summary>
/// <param name="RabbitMq">amqp://user:password@host:port/vhost.</param>
/// <param name="Queue">The workers' job queue (Bus:QueueName).</param>
/// <param name="Redis">host:port (Cache:Redis); null when outputs are never fetched.</param>
public sealed record Connection(Uri RabbitMq, string Queue, string? Redis)
{
    public string Host => RabbitMq.Host;

    public ushort Port => (ushort)(RabbitMq.IsDefaultPort || RabbitMq.Port <= 0 ? (UseTls ? 5671 : 5672) : RabbitMq.Port);

    /// <summary>amqps://: AMQP over TLS, the certificate checked against the host name.</summary>
    public bool UseTls => RabbitMq.Scheme == "amqps";

    public string VirtualHost => RabbitMq.AbsolutePath is "" or "/" ? "/" : Uri.UnescapeDataString(RabbitMq.AbsolutePath.TrimStart('/'));

    public string Username => UserInfo(0) ?? "guest";

    public string Password => UserInfo(1) ?? "guest";

    /// <summary>The URI without its password, for messages.</summary>
    public string Display => $"{(UseTls ? "amqps" : "amqp")}://{Username}@{Host}:{Port}/{(VirtualHost == "/" ? "" : VirtualHost)} queue {Queue}";

    private string? UserInfo(int index)
    {
        var parts = RabbitMq.UserInfo.Split(':', 2);
        return parts.Length > index && parts[index].Length > 0 ? Uri.UnescapeDataString(parts[index]) : null;
    }
}
