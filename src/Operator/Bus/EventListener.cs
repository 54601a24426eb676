using ComfySnap.Contracts;
using ComfySnap.Operator.Cli;
using ComfySnap.ServiceDefaults.RabbitMq;
using MassTransit;
using Microsoft.Extensions.Logging.Abstractions;

namespace ComfySnap.Operator.Bus;

/// <summary>
/// A client bus with one temporary queue of its own (auto-deleted) that hears the workers' published
/// events and hands each to <c>onEvent</c>; also sends jobs to the worker queue. The queue is bound
/// before <see cref="StartAsync"/> returns, so nothing published afterwards is missed.
/// </summary>
public sealed class EventListener : IAsyncDisposable
{
    private readonly IBusControl _bus;
    private readonly Connection _connection;

    private EventListener(IBusControl bus, Connection connection)
    {
        _bus = bus;
        _connection = connection;
    }

    public static async Task<EventListener> StartAsync(Connection connection, string purpose, Func<object, Task> onEvent, CancellationToken cancellationToken, bool heartbeats = false)
    {
        var rabbit = connection.Broker;
        var state = new BrokerConnectionState();
        var certificates = new BrokerCertificateValidator(rabbit, state, NullLogger.Instance);
        var bus = MassTransit.Bus.Factory.CreateUsingRabbitMq(cfg =>
        {
            cfg.Host(rabbit, certificates);
            cfg.ReceiveEndpoint($"comfysnap-operator-{purpose}-{Guid.NewGuid():N}"[..48], e =>
            {
                e.AutoDelete = true;
                e.Durable = false;
                e.PrefetchCount = 256;
                e.Handler<WorkflowAccepted>(c => onEvent(c.Message));
                e.Handler<WorkflowCompleted>(c => onEvent(c.Message));
                e.Handler<WorkflowFailed>(c => onEvent(c.Message));
                e.Handler<JobTimings>(c => onEvent(c.Message));
                e.Handler<WorkerBooted>(c => onEvent(c.Message));
                if (heartbeats)
                {
                    // Only status binds these: every worker sends one every few seconds.
                    e.Handler<WorkerHeartbeat>(c => onEvent(c.Message));
                }
            });
        });
        // A refused login, a rejected certificate or no broker within 30 s: one line (the CLI's "error: ...").
        await RabbitMqBusStart.StartAsync(bus, rabbit, certificates, state, cancellationToken);
        return new EventListener(bus, connection);
    }

    public async Task<ISendEndpoint> JobQueueAsync() =>
        // exchange:, not queue: - a queue: address would declare the workers' quorum queue as a classic one.
        await _bus.GetSendEndpoint(new Uri($"exchange:{_connection.Queue}"));

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        try
        {
            await _bus.StopAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            // the temporary queue is auto-deleted anyway
        }
    }
}
