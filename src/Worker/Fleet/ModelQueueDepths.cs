using ComfySnap.ServiceDefaults.RabbitMq;
using ComfySnap.ServiceDefaults.Routing;
using ComfySnap.Worker.Bus;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace ComfySnap.Worker.Fleet;

/// <summary>
/// Ready jobs and consumers of model queues, by AMQP passive declare on one connection of its own
/// (opened on first use, after the worker is ready, so never inside a snapshot; reopened when lost).
/// A passive declare touches no message: nothing is redelivered or counted against a delivery limit.
/// </summary>
public sealed class ModelQueueDepths(IOptions<RabbitMqOptions> rabbit, BrokerCertificateValidator certificates, IOptions<BusOptions> busOptions) : IAsyncDisposable
{
    private readonly ModelRoutes _routes = new(busOptions.Value.QueueName);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private IConnection? _connection;

    /// <summary>The queues of <paramref name="keys"/> that exist, by model-set key; a queue never declared is left out.</summary>
    public async Task<IReadOnlyDictionary<string, (uint Ready, uint Consumers)>> ProbeAsync(IEnumerable<string> keys, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var connection = await ConnectAsync(cancellationToken).ConfigureAwait(false);
            var result = new Dictionary<string, (uint, uint)>(StringComparer.Ordinal);
            IChannel? channel = null;
            try
            {
                foreach (var key in keys)
                {
                    channel ??= await connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
                    try
                    {
                        var ok = await channel.QueueDeclarePassiveAsync(_routes.ModelQueue(key), cancellationToken).ConfigureAwait(false);
                        result[key] = (ok.MessageCount, ok.ConsumerCount);
                    }
                    catch (OperationInterruptedException)
                    {
                        // No such queue (nobody ever consumed the set): the broker closed the channel.
                        await channel.DisposeAsync().ConfigureAwait(false);
                        channel = null;
                    }
                }
            }
            finally
            {
                if (channel is not null)
                {
                    await channel.DisposeAsync().ConfigureAwait(false);
                }
            }

            return result;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<IConnection> ConnectAsync(CancellationToken cancellationToken)
    {
        if (_connection is { IsOpen: true } open)
        {
            return open;
        }

        if (_connection is not null)
        {
            await _connection.DisposeAsync().ConfigureAwait(false);
            _connection = null;
        }

        var factory = rabbit.Value.CreateConnectionFactory(certificates, $"comfysnap-worker-{busOptions.Value.EffectiveWorkerId}-balance");
        _connection = await factory.CreateConnectionAsync(cancellationToken).ConfigureAwait(false);
        return _connection;
    }

    public async ValueTask DisposeAsync()
    {
        if (_connection is not null)
        {
            await _connection.DisposeAsync().ConfigureAwait(false);
        }

        _gate.Dispose();
    }
}
