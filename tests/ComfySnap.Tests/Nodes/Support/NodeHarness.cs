using ComfySnap.NodeSdk;
using ComfySnap.Tests.Support;
using ComfySnap.Engine;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace ComfySnap.Tests.Nodes.Support;

/// <summary>Calls nodes directly, as the engine would, against the worker's Workspace in a throw-away folder.</summary>
public sealed class NodeHarness : IDisposable
{
    private readonly string _root = TestEnvironment.NewTempDirectory("ws");

    public NodeHarness()
    {
        Workspace = new Workspace(Options.Create(new WorkspaceOptions
        {
            InputDirectory = Directory.CreateDirectory(Path.Combine(_root, "input")).FullName,
            OutputDirectory = Directory.CreateDirectory(Path.Combine(_root, "output")).FullName,
        }));
    }

    public Workspace Workspace { get; }

    /// <summary>Progress reports received, in order.</summary>
    public List<(int Step, int Total)> Progress { get; } = [];

    public NodeContext Context => new("test-node", new ThrowingModelStore(), Workspace, new CpuDeviceService(), (step, total) => Progress.Add((step, total)), NullLogger.Instance);

    public static NodeInputs Inputs(params (string Name, object? Value)[] values) =>
        new(values.ToDictionary(v => v.Name, v => v.Value));

    /// <summary>Runs a node that completes synchronously (no awaits inside), so dispose scopes stay on this thread.</summary>
    public NodeResult Run(ComfyNode node, params (string Name, object? Value)[] values)
    {
        var pending = node.ExecuteAsync(Inputs(values), Context, CancellationToken.None).AsTask();
        if (!pending.IsCompleted)
        {
            Assert.Fail($"{node.ClassType} was expected to complete synchronously");
        }

        return pending.Result;
    }

    public Task<NodeResult> RunAsync(ComfyNode node, CancellationToken cancellationToken, params (string Name, object? Value)[] values) =>
        node.ExecuteAsync(Inputs(values), Context, cancellationToken).AsTask();

    public NodeValidationContext ValidationContext(EngineLimits? limits = null) =>
        new(limits ?? new EngineLimits(), new ThrowingModelStore(), Workspace);

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
