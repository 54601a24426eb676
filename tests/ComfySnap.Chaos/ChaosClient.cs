using ComfySnap.Contracts;
using ComfySnap.ServiceDefaults.RabbitMq;
using ComfySnap.TestSupport;
using MassTransit;

namespace ComfySnap.Chaos;

/// <summary>
/// The publisher side on the private broker: sends RunWorkflow and CancelWorkflow (retrying
/// through a broker restart) and records every event in the ledger. Its event queue is durable,
/// so events published while it reconnects wait for it instead of being dropped.
/// </summary>
public sealed class ChaosClient : IAsyncDisposable
{
    private readonly IBusControl _bus;
    private readonly string _queue;

    private ChaosClient(IBusControl bus, string queue)
    {
        _bus = bus;
        _queue = queue;
    }

    public static async Task<ChaosClient> StartAsync(IPrivateBroker services, string runId, string workerQueue, Ledger ledger, CancellationToken ct)
    {
        var broker = services.Broker();
        // On a cluster a classic queue lives on one node and is gone while that node is down: the
        // client's events then wait in a quorum queue, like the workers' jobs.
        var replicated = broker.Nodes.Count > 1;
        broker.Heartbeat = ChaosSettings.Heartbeat;
        var bus = MassTransit.Bus.Factory.CreateUsingRabbitMq(cfg =>
        {
            cfg.Host(broker);
            cfg.ReceiveEndpoint($"chaos-events-{runId}", e =>
            {
                e.PrefetchCount = 256;
                if (replicated)
                {
                    e.SetQuorumQueue();
                }

                e.Handler<WorkflowAccepted>(c => Record(() => ledger.Accepted(c.Message)));
                e.Handler<WorkflowCompleted>(c => Record(() => ledger.Completed(c.Message)));
                e.Handler<WorkflowFailed>(c => Record(() => ledger.Failed(c.Message)));
                e.Handler<WorkerBooted>(c => Record(() => ledger.Boots.Enqueue(c.Message)));
            });
        });
        await bus.StartAsync(ct);
        return new ChaosClient(bus, workerQueue);
    }

    /// <summary>Sends until the broker confirms it (a send during a broker restart fails and is tried again).</summary>
    public async Task SendAsync(RunWorkflow job, CancellationToken ct) =>
        await RetryAsync(async token => await (await _bus.GetSendEndpoint(new Uri($"exchange:{_queue}"))).Send(job, token), ct);

    public async Task CancelAsync(string jobId, CancellationToken ct) =>
        await RetryAsync(token => _bus.Publish(new CancelWorkflow(jobId), token), ct);

    public async ValueTask DisposeAsync() => await _bus.StopAsync(CancellationToken.None);

    private static async Task RetryAsync(Func<CancellationToken, Task> action, CancellationToken ct)
    {
        var deadline = DateTimeOffset.UtcNow.AddMinutes(2);
        while (true)
        {
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(ct);
            attempt.CancelAfter(TimeSpan.FromSeconds(10));
            try
            {
                await action(attempt.Token);
                return;
            }
            catch (Exception) when (!ct.IsCancellationRequested && DateTimeOffset.UtcNow < deadline)
            {
                await Task.Delay(500, ct);
            }
        }
    }

    private static Task Record(Action record)
    {
        record();
        return Task.CompletedTask;
    }
}
