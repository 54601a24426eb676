using ComfySnap.Contracts;
using ComfySnap.Operator.Cli;
using MassTransit;

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
        var bus = MassTransit.Bus.Factory.CreateUsingRabbitMq(cfg =>
        {
            cfg.Host(connection.Host, connection.Port, connection.VirtualHost, h =>
            {
                h.Username(connection.Username);
                h.Password(connection.Password);
                if (connection.UseTls)
                {
                    h.UseSsl(ssl => ssl.ServerName = connection.Host);
                }
            });
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
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        await bus.StartAsync(timeout.Token);
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
