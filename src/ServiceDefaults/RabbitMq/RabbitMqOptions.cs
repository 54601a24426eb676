using System.ComponentModel.DataAnnotations;

namespace ComfySnap.ServiceDefaults.RabbitMq;

/// <summary>
/// The RabbitMQ connection every program shares ("Bus:RabbitMq"). The password is never logged;
/// like any setting it may come from a secret file (COMFYSNAP_Bus__RabbitMq__Password_FILE).
/// </summary>
public sealed class RabbitMqOptions
{
    public const string SectionName = "Bus:RabbitMq";

    private string? _host;

    /// <summary>The broker; unset with <see cref="Nodes"/> given: the first node's host.</summary>
    public string? Host
    {
        get => string.IsNullOrWhiteSpace(_host) && Endpoints is [var first, ..] ? first.Host : _host;
        set => _host = value;
    }

    [Range(1, 65535)]
    public int Port { get; set; } = 5672;

    /// <summary>
    /// The nodes of a broker cluster, each host[:port] (<see cref="Port"/> when none): the client
    /// connects to the first that answers and moves to another when its node goes. With
    /// <see cref="Host"/> set too, Host:Port is tried first.
    /// </summary>
    public List<string> Nodes { get; set; } = [];

    /// <summary>Every node to try, in order: Host:Port (when set), then <see cref="Nodes"/>, without repeats.</summary>
    public IReadOnlyList<(string Host, int Port)> Endpoints
    {
        get
        {
            var endpoints = new List<(string Host, int Port)>();
            if (!string.IsNullOrWhiteSpace(_host))
            {
                endpoints.Add((_host, Port));
            }

            foreach (var node in Nodes.Where(n => !string.IsNullOrWhiteSpace(n)))
            {
                var endpoint = ParseNode(node.Trim(), Port);
                if (!endpoints.Contains(endpoint))
                {
                    endpoints.Add(endpoint);
                }
            }

            return endpoints;
        }
    }

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

    /// <summary>host:port (host:port,host:port,... for a cluster), for messages.</summary>
    public string Endpoint => Endpoints.Count == 0 ? $"{Host}:{Port}" : string.Join(",", Endpoints.Select(e => $"{e.Host}:{e.Port}"));

    public override string ToString() => $"{(UseTls ? "amqps" : "amqp")}://{Username}@{Endpoint}{(VirtualHost.StartsWith('/') ? "" : "/")}{VirtualHost}";

    /// <summary>host, host:port or [v6]:port.</summary>
    public static (string Host, int Port) ParseNode(string node, int defaultPort)
    {
        var colon = node.LastIndexOf(':');
        var bracket = node.LastIndexOf(']');
        if (colon <= bracket || colon < 0)
        {
            return (node.Trim('[', ']'), defaultPort);
        }

        return int.TryParse(node.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port) && port is > 0 and <= 65535
            ? (node[..colon].Trim('[', ']'), port)
            : throw new FormatException($"Bus:RabbitMq:Nodes: '{node}' is not host[:port]");
    }
}
