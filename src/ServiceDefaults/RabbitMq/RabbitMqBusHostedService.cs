using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ComfySnap.ServiceDefaults.RabbitMq;

/// <summary>Starts the bus when the host starts (first contact through <see cref="RabbitMqBusStart"/>) and stops it when the host stops.</summary>
public sealed class RabbitMqBusHostedService(
    IBusControl bus,
    IOptions<RabbitMqOptions> options,
    BrokerCertificateValidator certificates,
    BrokerConnectionState state,
    ILogger<RabbitMqBusHostedService> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        logger.LogInformation("Connecting to RabbitMQ {Broker}", options.Value.ToString());
        await RabbitMqBusStart.StartAsync(bus, options.Value, certificates, state, cancellationToken).ConfigureAwait(false);
    }

    public Task StopAsync(CancellationToken cancellationToken) => state.Connected ? bus.StopAsync(cancellationToken) : Task.CompletedTask;
}
