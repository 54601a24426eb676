using ComfySnap.Contracts;
using ComfySnap.ServiceDefaults.Routing;
using ComfySnap.Worker.Bus;
using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ComfySnap.Worker.Fleet;

/// <summary>
/// Consumes the queue of every model set this worker holds, beside the shared queue, and stops when
/// it no longer holds it. Each model queue is a quorum queue bound to the model exchange by its key,
/// with a message TTL (Routing:ModelQueueWait) that dead-letters (at least once) into the shared
/// queue's exchange: a job never waits longer than that for a busy or dead holder.
/// </summary>
public sealed class ModelQueueEndpoints(
    IReceiveEndpointConnector connector,
    IOptions<BusOptions> busOptions,
    IOptions<RoutingOptions> routingOptions,
    SwitchArrival arrival,
    SwitchCosts costs,
    ILogger<ModelQueueEndpoints> logger) : IDisposable
{
    private readonly Dictionary<string, HostReceiveEndpointHandle> _consuming = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly ModelRoutes _routes = new(busOptions.Value.QueueName);

    /// <summary>The model-set keys whose queues this worker consumes now.</summary>
    public IReadOnlyCollection<string> Consuming
    {
        get
        {
            lock (_consuming)
            {
                return [.. _consuming.Keys];
            }
        }
    }

    /// <summary>Starts consuming the queues of <paramref name="sets"/> (held or taken on) not consumed yet and stops the others.</summary>
    public async Task ReconcileAsync(IReadOnlyList<ModelSet> sets, CancellationToken cancellationToken)
    {
        if (!routingOptions.Value.Enabled || busOptions.Value.EffectiveTransport != "RabbitMq")
        {
            return;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var wanted = sets.ToDictionary(s => s.Key, StringComparer.Ordinal);
            foreach (var key in Consuming.Where(k => !wanted.ContainsKey(k)))
            {
                await StopAsync(key, cancellationToken).ConfigureAwait(false);
            }

            foreach (var set in wanted.Values.Where(s => !Consuming.Contains(s.Key)))
            {
                await StartAsync(set, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task StartAsync(ModelSet set, CancellationToken cancellationToken)
    {
        var queue = _routes.ModelQueue(set.Key);
        var ttl = (long)routingOptions.Value.ModelQueueWait.TotalMilliseconds;
        var handle = connector.ConnectReceiveEndpoint(queue, (context, endpoint) =>
        {
            endpoint.ConfigureConsumeTopology = false;
            if (endpoint is IRabbitMqReceiveEndpointConfigurator rabbit)
            {
                rabbit.SetQuorumQueue();
                rabbit.SetQueueArgument("x-message-ttl", ttl);
                rabbit.SetQueueArgument("x-dead-letter-exchange", _routes.SharedQueue);
                // At-least-once dead-lettering (quorum queues): a spilled job is removed from the model
                // queue only once the shared queue confirmed it. It needs reject-publish overflow.
                rabbit.SetQueueArgument("x-dead-letter-strategy", "at-least-once");
                rabbit.SetQueueArgument("x-overflow", "reject-publish");
                rabbit.Bind(_routes.ModelExchange, b =>
                {
                    b.ExchangeType = "direct";
                    b.RoutingKey = set.Key;
                    b.SetExchangeArgument("alternate-exchange", _routes.SharedQueue);
                });
            }

            endpoint.ConfigureConsumer<RunWorkflowConsumer>(context);
        });
        try
        {
            await handle.Ready.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning("Could not consume model queue {Queue} ({Models}): {Reason}; jobs for it go to the shared queue meanwhile",
                queue, string.Join(", ", set.Models), e.Message);
            await handle.StopAsync(CancellationToken.None).ConfigureAwait(false);
            return;
        }

        lock (_consuming)
        {
            _consuming[set.Key] = handle;
        }

        logger.LogInformation("Consuming model queue {Queue} for {Models}", queue, string.Join(", ", set.Models));
        if (arrival.Arrived(set.Key) is { } switched)
        {
            logger.LogInformation("Switched to model set {ModelSetKey} by restore: consuming its queue {SwitchByRestoreMs:0} ms after the replaced worker needed it (phases {SwitchPhasesMs})",
                set.Key, switched.Total.TotalMilliseconds, switched.Describe());
            // What the next switch from here is expected to cost.
            costs.ObserveSwitch(switched.Total.TotalMilliseconds);
        }
    }

    private async Task StopAsync(string key, CancellationToken cancellationToken)
    {
        HostReceiveEndpointHandle? handle;
        lock (_consuming)
        {
            _consuming.Remove(key, out handle);
        }

        if (handle is not null)
        {
            // A job running from this queue finishes first (MassTransit waits for its consumers);
            // prefetched messages go back to the queue for another holder, or spill after the TTL.
            await handle.StopAsync(cancellationToken).ConfigureAwait(false);
            logger.LogInformation("Stopped consuming model queue {Queue}: a model of its set was unloaded, failed to load, or its pressure passed", _routes.ModelQueue(key));
        }
    }

    public void Dispose() => _gate.Dispose();
}
