using ComfySnap.Contracts;
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

    private RabbitWorkerHarness(IHost? worker, IBusControl client, string root, string queueName, EventCollector events, LogCollector logs, IReadOnlyDictionary<string, string?> settings)
    {
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

    public static async Task<RabbitWorkerHarness> StartAsync(string? redis = null, IDictionary<string, string?>? settings = null, bool inProcessWorker = true)
    {
        var root = TestEnvironment.NewTempDirectory("worker");
        var id = Guid.NewGuid().ToString("N")[..10];
        var queue = $"comfysnap-test-{id}";
        var events = new EventCollector();
        var client = MassTransit.Bus.Factory.CreateUsingRabbitMq(cfg =>
        {
            cfg.Host("127.0.0.1", (ushort)TestEnvironment.RabbitMqPort, "/", h =>
            {
                h.Username("guest");
                h.Password("guest");
            });
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
            });
        });
        await client.StartAsync();

        var overrides = WorkerSettings.OnBus(root, queue, $"test-{id}", TestEnvironment.RabbitMqPort, redis ?? TestEnvironment.RedisEndpoint, $"comfysnap-test-{id}:");
        overrides["Serilog:MinimumLevel:Default"] = "Information";
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>())
        {
            overrides[k] = v;
        }

        var logs = new LogCollector();
        if (!inProcessWorker)
        {
            return new RabbitWorkerHarness(null, client, root, queue, events, logs, overrides);
        }

        var builder = WorkerHostFactory.CreateBuilder(overrides, configureLogging: l => l.WriteTo.Sink(logs));
        builder.Services.AddQueueWorker(builder.Configuration);
        var host = builder.Build();
        var harness = new RabbitWorkerHarness(host, client, root, queue, events, logs, overrides);
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
            await RabbitQueues.DeleteAsync(TestEnvironment.RabbitMqUri, RabbitQueues.WithErrorQueues(QueueName));
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
