using ComfySnap.Contracts;
using ComfySnap.Tests.Support;
using ComfySnap.Worker.Hosting;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using RabbitMQ.Client;

namespace ComfySnap.Tests.Worker.Support;

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

    /// <summary>The in-process worker's services (its node registry, options).</summary>
    public IServiceProvider Services => _worker?.Services ?? throw new InvalidOperationException("no in-process worker");

    public static async Task<RabbitWorkerHarness> StartAsync(string? redis = null, IDictionary<string, string?>? settings = null, bool inProcessWorker = true)
    {
        var root = TestEnvironment.NewTempDirectory("worker");
        foreach (var dir in new[] { "input", "output", "models/upscale_models", "node_packs" })
        {
            Directory.CreateDirectory(Path.Combine(root, dir));
        }

        var id = Guid.NewGuid().ToString("N")[..10];
        var queue = $"comfysnap-test-{id}";
        var events = new EventCollector();
        var client = MassTransit.Bus.Factory.CreateUsingRabbitMq(cfg =>
        {
            cfg.Host("127.0.0.1", (ushort)TestEnvironment.RabbitMqPort, "/", h =>
            {
                h.Username(TestEnvironment.RabbitMqUser);
                h.Password(TestEnvironment.RabbitMqPassword);
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

        var overrides = new Dictionary<string, string?>
        {
            ["Workspace:InputDirectory"] = Path.Combine(root, "input"),
            ["Workspace:OutputDirectory"] = Path.Combine(root, "output"),
            ["Models:BaseDirectory"] = Path.Combine(root, "models"),
            ["NodePacks:Directory"] = Path.Combine(root, "node_packs"),
            ["Bus:Transport"] = "RabbitMq",
            ["Bus:QueueName"] = queue,
            ["Bus:WorkerId"] = $"test-{id}",
            ["Bus:RabbitMq:Host"] = "127.0.0.1",
            ["Bus:RabbitMq:Port"] = TestEnvironment.RabbitMqPort.ToString(),
            ["Bus:RabbitMq:Username"] = TestEnvironment.RabbitMqUser,
            ["Bus:RabbitMq:Password"] = TestEnvironment.RabbitMqPassword,
            ["Cache:Redis"] = redis ?? TestEnvironment.RedisEndpoint,
            ["Cache:KeyPrefix"] = $"comfysnap-test-{id}:",
            ["Serilog:MinimumLevel:Default"] = "Information",
        };
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
            var factory = new ConnectionFactory { Uri = new Uri(TestEnvironment.RabbitMqUri) };
            await using var connection = await factory.CreateConnectionAsync();
            await using var channel = await connection.CreateChannelAsync();
            foreach (var name in new[] { QueueName, QueueName + "_error", QueueName + "_skipped" })
            {
                await channel.QueueDeleteAsync(name);
                await channel.ExchangeDeleteAsync(name);
            }
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
