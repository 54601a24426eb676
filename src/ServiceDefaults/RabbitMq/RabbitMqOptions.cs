using System.ComponentModel.DataAnnotations;

namespace ComfySnap.ServiceDefaults.RabbitMq;

/// <summary>
/// The RabbitMQ connection every program shares ("Bus:RabbitMq"). The password is never logged;
/// like any setting it may come from a secret file (COMFYSNAP_Bus__RabbitMq__Password_FILE).
/// </summary>
public sealed class RabbitMqOptions
{
    public const string SectionName = "Bus:RabbitMq";

    public string? Host { get; set; }

    [Range(1, 65535)]
    public int Port { get; set; } = 5672;

    public string VirtualHost { get; set; } = "/";

    public string Username { get; set; } = "guest";

    public string Password { get; set; } = "guest";

    /// <summary>AMQP heartbeat; null: the client's default. Shorter finds a dead or frozen peer sooner (the broker requeues its unacked job).</summary>
    public TimeSpan? Heartbeat { get; set; }

    /// <summary>AMQP over TLS (amqps, usually port 5671): the broker's certificate must be valid for <see cref="TlsServerName"/>.</summary>
    public bool UseTls { get; set; }

    /// <summary>The name the broker's certificate is checked against; default <see cref="Host"/>.</summary>
    public string? TlsServerName { get; set; }

    /// <summary>A PEM file of CA certificates the broker's certificate must chain to, instead of the system's trust store (a private CA); empty: the system's.</summary>
    public string? TlsCaFile { get; set; }

    /// <summary>
    /// How long a program waits for its first connection (a broker still starting beside it)
    /// before it gives up with one line; reconnects after that never give up.
    /// </summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(60);

    public string EffectiveServerName => string.IsNullOrEmpty(TlsServerName) ? Host ?? "" : TlsServerName;

    /// <summary>host:port, for messages.</summary>
    public string Endpoint => $"{Host}:{Port}";

    public override string ToString() => $"{(UseTls ? "amqps" : "amqp")}://{Username}@{Host}:{Port}{(VirtualHost.StartsWith('/') ? "" : "/")}{VirtualHost}";
}
