using System.Text.Json.Nodes;
using ComfySnap.Operator.Cli;
using ComfySnap.Tests.Support;
using ComfySnap.Tests.Worker.Support;

namespace ComfySnap.Tests.Operator.Support;

/// <summary>
/// One `serve` child worker on a queue of its own (real RabbitMQ and Redis) shared by the operator
/// tests, and a way to run the operator CLI in-process against it with captured output.
/// </summary>
public sealed class OperatorWorkerFixture : IAsyncLifetime
{
    private WorkerProcess? _child;

    public RabbitWorkerHarness Harness { get; private set; } = null!;

    /// <summary>The `serve` child worker's Bus:WorkerId.</summary>
    public string WorkerId { get; private set; } = "";

    public async Task InitializeAsync()
    {
        Harness = await RabbitWorkerHarness.StartAsync(inProcessWorker: false);
        WorkerId = $"operator-{Guid.NewGuid():N}"[..20];
        _child = await WorkerProcess.StartAsync(Harness.Settings, WorkerId);
    }

    public async Task DisposeAsync()
    {
        _child?.Dispose();
        await Harness.DisposeAsync();
    }

    /// <summary>Runs `ComfySnap.Operator ARGS --rabbitmq ... --queue ... --redis ...`.</summary>
    public async Task<(int ExitCode, string Output, string Error)> RunAsync(CancellationToken cancellationToken, params string[] args)
    {
        using var output = new CapturedWriter();
        using var error = new CapturedWriter();
        var code = await RunAsync(output, error, cancellationToken, args);
        return (code, output.Text, error.Text);
    }

    // 200 columns: a status row must never wrap (a worker id split over two lines matches nothing),
    // whatever other tests' workers on the shared broker put into the other columns.
    public Task<int> RunAsync(CapturedWriter output, CapturedWriter error, CancellationToken cancellationToken, params string[] args) =>
        OperatorCli.InvokeAsync([.. args, .. ConnectionArgs()], OperatorIo.Plain(output, error, 200), cancellationToken);

    /// <summary>A folder of <paramref name="count"/> small image workflows (one 32xN PNG each), distinct from every other call's (no cache hits across tests).</summary>
    public static string WriteImageWorkflows(string directory, int count, string? invalidFrom = null)
    {
        Directory.CreateDirectory(directory);
        var salt = Random.Shared.Next(1, 1 << 23);
        var template = File.ReadAllText(Path.Combine(TestEnvironment.RepoRoot, "workflows", "image-ops.json"));
        for (var i = 0; i < count; i++)
        {
            var graph = JsonNode.Parse(template)!.AsObject();
            graph["1"]!["inputs"]!["width"] = 32;
            graph["1"]!["inputs"]!["height"] = 16 + i;
            graph["1"]!["inputs"]!["batch_size"] = 1;
            graph["1"]!["inputs"]!["color"] = salt + (1000 * i);
            graph["3"]!["inputs"]!["width"] = 32;
            graph["3"]!["inputs"]!["height"] = 16 + i;
            File.WriteAllText(Path.Combine(directory, $"ops-{i:D2}.json"), graph.ToJsonString());
        }

        if (invalidFrom is not null)
        {
            File.Copy(Path.Combine(TestEnvironment.RepoRoot, "workflows", invalidFrom), Path.Combine(directory, "zz-invalid.json"));
        }

        return directory;
    }

    private string[] ConnectionArgs() =>
        ["--rabbitmq", TestEnvironment.RabbitMqUri, "--queue", Harness.QueueName, "--redis", TestEnvironment.RedisEndpoint];
}
