using ComfySnap.Contracts;
using ComfySnap.ServiceDefaults.RabbitMq;
using ComfySnap.Worker.Hosting;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ComfySnap.TestSupport;

/// <summary>
/// A worker host on the real RabbitMQ (a queue of its own, deleted afterwards) and Redis (a key
/// prefix of its own), plus a client bus that sends jobs to that queue and collects every event.
/// </summary>
public sealed class RabbitWorkerHarness : IAsyncDisposable
{
    private readonly IHost? _worker;
    private readonly IBusControl _client;
    private readonly string _rabbitMqUri;

    private RabbitWorkerHarness(IHost? worker, IBusControl client, string root, string queueName, EventCollector events, LogCollector logs, IReadOnlyDictionary<string, string?> settings, IPrivateBroker? broker)
    {
        _rabbitMqUri = broker?.RabbitMqUri ?? TestEnvironment.RabbitMqUri;
        Settings = settings;
        _worker = worker;
        _client = client;
        Root = root;
        QueueName = queueName;
        Events = events;
        Logs = logs;
    }

    public string Root { get; }

    public string QueueName { get; }

    public EventCollector Events { get; }

    public LogCollector Logs { get; }

    /// <summary>The worker configuration (also for child-process workers, as COMFYSNAP_ environment variables).</summary>
    public IReadOnlyDictionary<string, string?> Settings { get; }

    public WorkerBooted? Booted { get; private set; }

    /// <summary>The in-process worker's services (its node registry, options).</summary>
    public IServiceProvider Services => _worker?.Services ?? throw new InvalidOperationException("no in-process worker");

    public static async Task<RabbitWorkerHarness> StartAsync(string? redis = null, IDictionary<string, string?>? settings = null, bool inProcessWorker = true,
        Action<IServiceCollection>? configureServices = null, bool heartbeats = false, IPrivateBroker? broker = null)
    {
        var root = TestEnvironment.NewTempDirectory("worker");
        var id = Guid.NewGuid().ToString("N")[..10];
        var queue = $"comfysnap-test-{id}";
        var events = new EventCollector();
        var client = MassTransit.Bus.Factory.CreateUsingRabbitMq(cfg =>
        {
            // The client always speaks plain AMQP: to the shared broker, or to a private one's plain listener.
            cfg.Host(broker?.Broker() ?? TestEnvironment.Broker());
            cfg.ReceiveEndpoint($"comfysnap-test-events-{id}", e =>
            {
                e.AutoDelete = true;
                e.Durable = false;
                e.Handler<WorkflowAccepted>(c => Collect(events, c.Message));
                e.Handler<WorkflowProgress>(c => Collect(events, c.Message));
                e.Handler<WorkflowCompleted>(c => Collect(events, c.Message));
                e.Handler<WorkflowFailed>(c => Collect(events, c.Message));
                e.Handler<JobTimings>(c => Collect(events, c.Message));
                e.Handler<WorkerBooted>(c => Collect(events, c.Message));
                if (heartbeats)
                {
                    // Every worker on the shared broker beats every few seconds: only tests that ask hear them.
                    e.Handler<WorkerHeartbeat>(c => Collect(events, c.Message));
                }
            });
        });
        await client.StartAsync();

        var overrides = WorkerSettings.OnBus(root, queue, $"test-{id}", TestEnvironment.RabbitMqPort, redis ?? TestEnvironment.RedisEndpoint, $"comfysnap-test-{id}:");
        overrides["Serilog:MinimumLevel:Default"] = "Information";
        foreach (var (k, v) in broker?.RabbitMqSettings() ?? [])
        {
            overrides[k] = v;
        }

        foreach (var (k, v) in settings ?? new Dictionary<string, string?>())
        {
            overrides[k] = v;
        }

        var logs = new LogCollector();
        if (!inProcessWorker)
        {
            return new RabbitWorkerHarness(null, client, root, queue, events, logs, overrides, broker);
        }

        var builder = WorkerHostFactory.CreateBuilder(overrides, configureLogging: l => l.WriteTo.Sink(logs));
        builder.Services.AddQueueWorker(builder.Configuration);
        configureServices?.Invoke(builder.Services);
        var host = builder.Build();
        var harness = new RabbitWorkerHarness(host, client, root, queue, events, logs, overrides, broker);
        await host.StartAsync();
        harness.Booted = await host.Services.GetRequiredService<WorkerReadiness>().Booted.WaitAsync(TimeSpan.FromSeconds(60));
        return harness;
    }

    public async Task SendAsync(RunWorkflow job)
    {
        // exchange: not queue: - a queue: address would declare the quorum queue as a classic one.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var endpoint = await _client.GetSendEndpoint(new Uri($"exchange:{QueueName}"));
        await endpoint.Send(job, timeout.Token);
    }

    /// <summary>Sends a job to another exchange (e.g. the fleet's model exchange), with a routing key.</summary>
    public async Task SendToAsync(Uri exchange, RunWorkflow job, string? routingKey)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var endpoint = await _client.GetSendEndpoint(exchange);
        await endpoint.Send(job, send =>
        {
            if (routingKey is not null)
            {
                send.SetRoutingKey(routingKey);
            }
        }, timeout.Token);
    }

    public Task PublishAsync<T>(T message)
        where T : class => _client.Publish(message);

    public async ValueTask DisposeAsync()
    {
        if (_worker is not null)
        {
            await _worker.StopAsync(TimeSpan.FromSeconds(30));
            _worker.Dispose();
        }

        await _client.StopAsync();
        await DeleteQueuesAsync();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // leave temp files behind rather than fail a test
        }
    }

    private async Task DeleteQueuesAsync()
    {
        try
        {
            await RabbitQueues.DeleteAsync(_rabbitMqUri, [.. RabbitQueues.WithErrorQueues(QueueName), .. RabbitQueues.WithErrorQueues(QueueName + "-webhooks")]);
        }
        catch (Exception e) when (e is RabbitMQ.Client.Exceptions.RabbitMQClientException or IOException)
        {
            // best effort
        }
    }

    private static Task Collect(EventCollector events, object message)
    {
        events.Add(message);
        return Task.CompletedTask;
    }
}
