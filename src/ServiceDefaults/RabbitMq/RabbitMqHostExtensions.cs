using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;

namespace ComfySnap.ServiceDefaults.RabbitMq;

/// <summary>
/// The one place a program turns <see cref="RabbitMqOptions"/> into a broker connection: host,
/// credentials, TLS with the broker certificate check (private CA), heartbeat. For MassTransit
/// buses and for the few raw RabbitMQ.Client connections (queue probes).
/// </summary>
public static class RabbitMqHostExtensions
{
    /// <summary>cfg.Host from the program's registered options and certificate check (<see cref="RabbitMqServiceCollectionExtensions.AddRabbitMqConnection"/>).</summary>
    public static void Host(this IRabbitMqBusFactoryConfigurator cfg, IBusRegistrationContext context) =>
        cfg.Host(context.GetRequiredService<IOptions<RabbitMqOptions>>().Value, context.GetRequiredService<BrokerCertificateValidator>());

    /// <summary>cfg.Host for a client bus that starts on its own (benchmarks, test clients): the certificate check without a first-contact race.</summary>
    public static void Host(this IRabbitMqBusFactoryConfigurator cfg, RabbitMqOptions rabbit) =>
        cfg.Host(rabbit, new BrokerCertificateValidator(rabbit, new BrokerConnectionState(), NullLogger.Instance));

    public static void Host(this IRabbitMqBusFactoryConfigurator cfg, RabbitMqOptions rabbit, BrokerCertificateValidator certificates)
    {
        var endpoints = rabbit.Endpoints;
        var (host, port) = endpoints.Count > 0 ? endpoints[0] : (rabbit.Host, rabbit.Port);
        cfg.Host(host, (ushort)port, rabbit.VirtualHost, h =>
        {
            // Several nodes: MassTransit's cluster list; a connection lost with its node is
            // reopened on the next node that answers.
            if (endpoints.Count > 1)
            {
                h.UseCluster(c =>
                {
                    foreach (var (nodeHost, nodePort) in endpoints)
                    {
                        c.Node($"{nodeHost}:{nodePort}");
                    }
                });
            }

            h.Username(rabbit.Username);
            h.Password(rabbit.Password);
            if (rabbit.UseTls)
            {
                h.UseSsl(ssl =>
                {
                    ssl.ServerName = rabbit.EffectiveServerName;
                    ssl.CertificateValidationCallback = certificates.Validate;
                });
            }

            if (rabbit.Heartbeat is { } heartbeat)
            {
                h.Heartbeat(heartbeat);
            }
        });
    }

    /// <summary>Opens a raw connection on the first of the broker's nodes that answers.</summary>
    public static Task<IConnection> CreateConnectionAsync(this ConnectionFactory factory, RabbitMqOptions rabbit, CancellationToken cancellationToken) =>
        factory.CreateConnectionAsync([.. rabbit.Endpoints.Select(e => new AmqpTcpEndpoint(e.Host, e.Port, factory.Ssl))], cancellationToken);

    /// <summary>A raw RabbitMQ.Client connection factory with the same settings as <see cref="Host(IRabbitMqBusFactoryConfigurator, RabbitMqOptions, BrokerCertificateValidator)"/>.</summary>
    public static ConnectionFactory CreateConnectionFactory(this RabbitMqOptions rabbit, BrokerCertificateValidator certificates, string clientName)
    {
        var factory = new ConnectionFactory
        {
            HostName = rabbit.Host ?? throw new InvalidOperationException("Bus:RabbitMq:Host is not set"),
            Port = rabbit.Port,
            VirtualHost = rabbit.VirtualHost,
            UserName = rabbit.Username,
            Password = rabbit.Password,
            ClientProvidedName = clientName,
            Ssl = new SslOption(rabbit.EffectiveServerName, enabled: rabbit.UseTls) { CertificateValidationCallback = certificates.Validate },
        };
        if (rabbit.Heartbeat is { } heartbeat)
        {
            factory.RequestedHeartbeat = heartbeat;
        }

        return factory;
    }
}
