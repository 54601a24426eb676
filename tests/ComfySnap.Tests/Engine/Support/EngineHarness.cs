using ComfySnap.Tests.Support;
using ComfySnap.Worker.Boot;
using ComfySnap.Engine;
using ComfySnap.Engine.Execution;
using ComfySnap.Engine.Validation;
using ComfySnap.Worker.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;

namespace ComfySnap.Tests.Engine.Support;

/// <summary>A real engine (the worker's own DI registrations) over temp input/output/model folders.</summary>
public sealed class EngineHarness : IAsyncDisposable
{
    private readonly IHost _host;

    private EngineHarness(IHost host, string root)
    {
        _host = host;
        Root = root;
    }

    public string Root { get; }

    public string InputDirectory => Path.Combine(Root, "input");

    public string OutputDirectory => Path.Combine(Root, "output");

    public string ModelsDirectory => Path.Combine(Root, "models");

    public IServiceProvider Services => _host.Services;

    public WorkflowEngine Engine => Services.GetRequiredService<WorkflowEngine>();

    public IReadOnlyList<BootPhase> BootPhases { get; private set; } = [];

    public static async Task<EngineHarness> StartAsync(Action<string>? prepare = null, IDictionary<string, string?>? settings = null)
    {
        var root = TestEnvironment.NewTempDirectory("engine");
        foreach (var dir in new[] { "input", "output", "models/upscale_models", "node_packs" })
        {
            Directory.CreateDirectory(Path.Combine(root, dir));
        }

        prepare?.Invoke(root);
        var overrides = new Dictionary<string, string?>
        {
            ["Workspace:InputDirectory"] = Path.Combine(root, "input"),
            ["Workspace:OutputDirectory"] = Path.Combine(root, "output"),
            ["Models:BaseDirectory"] = Path.Combine(root, "models"),
            ["NodePacks:Directory"] = Path.Combine(root, "node_packs"),
            ["Serilog:MinimumLevel:Default"] = "Warning",
        };
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>())
        {
            overrides[k] = v;
        }

        var host = WorkerHostFactory.CreateBuilder(overrides).Build();
        var harness = new EngineHarness(host, root);
        var timer = new PhaseTimer(NullLogger.Instance);
        await host.Services.GetRequiredService<ColdBoot>().RunAsync(timer, CancellationToken.None);
        harness.BootPhases = timer.Phases;
        return harness;
    }

    public ValidationReport Validate(string json, out ValidatedWorkflow? workflow) => Engine.Validate(json, out workflow);

    public async Task<ExecutionResult> RunAsync(string json, Action<ExecutionProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var report = Engine.Validate(json, out var workflow);
        Assert.True(report.IsValid, report.Describe());
        return await Engine.RunAsync(workflow!, progress, cancellationToken);
    }

    public static string Workflow(string name) => File.ReadAllText(Path.Combine(TestEnvironment.RepoRoot, "workflows", name));

    public ValueTask DisposeAsync()
    {
        _host.Dispose();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // Leave temp files behind rather than fail a test.
        }

        return ValueTask.CompletedTask;
    }
}
