using ComfySnap.NodeSdk;
using Microsoft.Extensions.Logging.Abstractions;
using TorchSharp;

namespace ComfySnap.Tests.Upscale.Support;

/// <summary>NodeContexts for upscale tests: CPU compute, no workspace, progress recorded.</summary>
public sealed class TestContexts
{
    public List<(int Step, int Total)> Progress { get; } = [];

    /// <summary>Runs after each recorded progress step (e.g. to cancel mid-run).</summary>
    public Action<int, int>? OnProgress { get; set; }

    public NodeContext Create(IModelStore models) => new(
        "test",
        models,
        new UnusedWorkspace(),
        new CpuDevice(),
        (step, total) =>
        {
            Progress.Add((step, total));
            OnProgress?.Invoke(step, total);
        },
        NullLogger.Instance);

    private sealed class CpuDevice : IDeviceService
    {
        public torch.Device ComputeDevice => torch.CPU;
    }

    private sealed class UnusedWorkspace : IWorkspace
    {
        public string InputDirectory => throw new NotSupportedException();

        public string OutputDirectory => throw new NotSupportedException();

        public string? TryResolveInput(string name) => throw new NotSupportedException();

        public bool IsSafeOutputPrefix(string prefix) => throw new NotSupportedException();

        public ValueTask<OutputArtifact> SaveOutputAsync(string prefix, string extension, string contentType, ReadOnlyMemory<byte> bytes, bool temporary, CancellationToken cancellationToken) =>
            throw new NotSupportedException();
    }
}
