using System.Collections.Concurrent;
using System.Diagnostics;
using ComfySnap.Contracts;
using ComfySnap.ServiceDefaults.RabbitMq;
using ComfySnap.ServiceDefaults.Routing;
using MassTransit;
using Spectre.Console;
using ComfySnap.TestSupport;

namespace ComfySnap.Bench.Bus;

/// <summary>
/// One bus scenario: a queue and Redis key prefix of its own on the project's RabbitMQ and Redis,
/// <c>serve</c> workers as child processes, and a client bus that sends RunWorkflow and records
/// every answer. Disposing kills the workers and deletes the queue and the keys.
/// </summary>
public sealed class BusBench : IAsyncDisposable
{
    private readonly IBusControl _client;
    private readonly List<WorkerProcess> _workers = [];
    private readonly string _workDirectory;
    private readonly IReadOnlyDictionary<string, string?> _extraSettings;
    private readonly Func<int, IReadOnlyDictionary<string, string?>>? _perWorkerSettings;
    private ISendEndpoint? _endpoint;
    private ISendEndpoint? _modelEndpoint;

    private BusBench(IBusControl client, string id, string workDirectory, ResultTracker results, ConcurrentDictionary<string, WorkerBooted> booted, IReadOnlyDictionary<string, string?>? extraSettings, Func<int, IReadOnlyDictionary<string, string?>>? perWorkerSettings)
    {
        _extraSettings = extraSettings ?? new Dictionary<string, string?>();
        _perWorkerSettings = perWorkerSettings;
        _client = client;
        Id = id;
        _workDirectory = workDirectory;
        Results = results;
        Booted = booted;
    }

    public string Id { get; }

    public string QueueName => $"comfysnap-bench-{Id}";

    public ResultTracker Results { get; }

    // This run's workers that published WorkerBooted, by worker id (the bus fans the event out to every listener).
    private ConcurrentDictionary<string, WorkerBooted> Booted { get; }

    public static int RabbitMqPort => TestEnvironment.RabbitMqPort;

    /// <summary>
    /// Starts the client bus, then <paramref name="workerCount"/> workers (with <paramref name="workerSettings"/>
    /// on top of the bench's, then <paramref name="perWorkerSettings"/> of each worker's index), and waits until each published WorkerBooted.
    /// </summary>
    public static async Task<BusBench> StartAsync(BenchContext context, int workerCount, CancellationToken ct, IReadOnlyDictionary<string, string?>? workerSettings = null,
        Func<int, IReadOnlyDictionary<string, string?>>? perWorkerSettings = null)
    {
        var id = Guid.NewGuid().ToString("N")[..10];
        var results = new ResultTracker();
        var booted = new ConcurrentDictionary<string, WorkerBooted>(StringComparer.Ordinal);
        var client = MassTransit.Bus.Factory.CreateUsingRabbitMq(cfg =>
        {
            cfg.Host(TestEnvironment.Broker());
            cfg.ReceiveEndpoint($"comfysnap-bench-events-{id}", e =>
            {
                e.AutoDelete = true;
                e.Durable = false;
                // The client must never be the bottleneck of a throughput run.
                e.PrefetchCount = 256;
                e.Handler<WorkflowCompleted>(c => Record(results, c.Message.JobId, c.Message));
                e.Handler<WorkflowFailed>(c => Record(results, c.Message.JobId, c.Message));
                e.Handler<WorkerBooted>(c =>
                {
                    if (c.Message.WorkerId.StartsWith($"bench-{id}-", StringComparison.Ordinal))
                    {
                        booted[c.Message.WorkerId] = c.Message;
                    }

                    return Task.CompletedTask;
                });
            });
        });
        await client.StartAsync(ct);

        var work = Path.Combine(context.WorkDirectory, "bus", id);
        var bench = new BusBench(client, id, work, results, booted, workerSettings, perWorkerSettings);
        for (var i = 0; i < workerCount; i++)
        {
            bench._workers.Add(WorkerProcess.Start(bench.WorkerSettings(i)));
        }

        await bench.WaitForWorkersAsync(workerCount, ct);
        var routes = new ModelRoutes(bench.QueueName);
        bench._endpoint = await client.GetSendEndpoint(routes.SharedExchangeAddress);
        bench._modelEndpoint = await client.GetSendEndpoint(routes.ModelExchangeAddress);
        return bench;
    }

    /// <summary>Sends one job (registering it first) and returns the task of its first answer.</summary>
    public async Task<ResultTracker.Answer> RoundTripAsync(RunWorkflow job, TimeSpan timeout, CancellationToken ct)
    {
        var answer = Results.Expect(job.JobId);
        await SendAsync(job, ct);
        return await answer.WaitAsync(timeout, ct);
    }

    public Task SendAsync(RunWorkflow job, CancellationToken ct) =>
        // exchange: not queue: - a queue: address would declare the worker's quorum queue as a classic one.
        (_endpoint ?? throw new InvalidOperationException("not started")).Send(job, ct);

    /// <summary>
    /// Sends a job that carries its model set as a routing publisher does (the gateway's JobSender with
    /// Routing:Enabled): to the model exchange keyed by the set; a set nobody holds falls through to the shared queue.
    /// </summary>
    public Task SendRoutedAsync(RunWorkflow job, CancellationToken ct) => job.ModelSet is { } set
        ? (_modelEndpoint ?? throw new InvalidOperationException("not started")).Send(job, send => send.SetRoutingKey(set.Key), ct)
        : SendAsync(job, ct);

    /// <summary>Every line this run's `serve` processes wrote so far (a restored copy's lines come through its `serve`).</summary>
    public IEnumerable<string> WorkerOutput() => _workers.SelectMany(w => w.Output);

    /// <summary>Throws with the worker's last log lines when a worker died during a run.</summary>
    public void EnsureWorkersAlive()
    {
        var dead = _workers.FirstOrDefault(w => w.HasExited);
        if (dead is not null)
        {
            throw new InvalidOperationException($"a worker exited during the run; its last lines:{Environment.NewLine}{dead.Tail()}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var worker in _workers)
        {
            await worker.DisposeAsync();
        }

        await _client.StopAsync();
        await DeleteQueuesAsync();
        await DeleteKeysAsync();
        try
        {
            Directory.Delete(_workDirectory, recursive: true);
        }
        catch (IOException)
        {
            // leave the scratch folder rather than fail the suite
        }
    }

    /// <summary>A gateway in front of this run's workers: their queue, Redis and key prefix, on a free loopback port.</summary>
    public Dictionary<string, string?> GatewaySettings()
    {
        var settings = WorkerSettings(0).Where(p => p.Key != "Bus:WorkerId").ToDictionary(p => p.Key, p => p.Value);
        settings["Gateway:Listen"] = "http://127.0.0.1:0";
        return settings;
    }

    private Dictionary<string, string?> WorkerSettings(int index)
    {
        var settings = TestSupport.WorkerSettings.OnBus(_workDirectory, QueueName, $"bench-{Id}-{index}", RabbitMqPort, TestEnvironment.RedisEndpoint, $"comfysnap-bench-{Id}:", $"output-{index}");
        // Per-job log lines cost CPU on the same two cores; warnings and errors still show.
        settings["Serilog:MinimumLevel:Default"] = "Warning";
        // The workers' environment is built from scratch: pass telemetry switches through, so
        // `COMFYSNAP_Telemetry__Enabled=true ./comfysnap bench overhead` measures the instrumented path.
        foreach (var (key, value) in new[] { "Enabled", "Otlp:Endpoint", "Otlp:Protocol" }
            .Select(k => ("Telemetry:" + k, Environment.GetEnvironmentVariable(WorkerProcess.SettingVariable("Telemetry:" + k))))
            .Where(p => !string.IsNullOrEmpty(p.Item2)))
        {
            settings[key] = value;
        }

        foreach (var (key, value) in _extraSettings.Concat(_perWorkerSettings?.Invoke(index) ?? new Dictionary<string, string?>()))
        {
            settings[key] = value;
        }

        return settings;
    }

    private async Task WaitForWorkersAsync(int workerCount, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        while (Booted.Count < workerCount)
        {
            EnsureWorkersAlive();
            if (watch.Elapsed > TimeSpan.FromMinutes(2))
            {
                throw new TimeoutException($"workers did not publish WorkerBooted within 2 minutes; last lines:{Environment.NewLine}{_workers[0].Tail()}");
            }

            await Task.Delay(100, ct);
        }

        AnsiConsole.MarkupLineInterpolated($"  {Booted.Count} worker(s) booted ({string.Join(", ", Booted.Values.Select(b => b.Mode))}) on queue {QueueName}");
    }

    private async Task DeleteQueuesAsync()
    {
        try
        {
            await RabbitQueues.DeleteAsync(TestEnvironment.RabbitMqUri, RabbitQueues.WithErrorQueues(QueueName));
        }
        catch (Exception e) when (e is RabbitMQ.Client.Exceptions.RabbitMQClientException or IOException)
        {
            AnsiConsole.MarkupLineInterpolated($"  [yellow]could not delete queue {QueueName}: {e.Message}[/]");
        }
    }

    private Task DeleteKeysAsync() => RedisKeys.DeleteAsync(TestEnvironment.RedisEndpoint, $"comfysnap-bench-{Id}:");

    private static Task Record(ResultTracker results, string jobId, object message)
    {
        results.Record(jobId, message);
        return Task.CompletedTask;
    }
}
