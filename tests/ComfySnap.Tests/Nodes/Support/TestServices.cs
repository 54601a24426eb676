using ComfySnap.NodeSdk;
using TorchSharp;

namespace ComfySnap.Tests.Nodes.Support;

/// <summary>Runs every node on the CPU.</summary>
public sealed class CpuDeviceService : IDeviceService
{
    public torch.Device ComputeDevice => torch.CPU;
}

/// <summary>Image nodes must not touch models: any use is a test failure.</summary>
public sealed class ThrowingModelStore : IModelStore
{
    public IReadOnlyList<string> Kinds => throw Unexpected();

    public IReadOnlyList<string> List(string kind) => throw Unexpected();

    public string? TryResolve(string kind, string name) => throw Unexpected();

    public ValueTask<T> GetOrLoadAsync<T>(string kind, string name, Func<string, CancellationToken, ValueTask<T>> load, CancellationToken cancellationToken)
        where T : class => throw Unexpected();

    private static InvalidOperationException Unexpected() => new("image nodes must not use the model store");
}
