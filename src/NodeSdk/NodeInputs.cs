using System.Globalization;
using TorchSharp;

namespace ComfySnap.NodeSdk;

/// <summary>A node's resolved inputs: literals with defaults applied, and upstream outputs.</summary>
public sealed class NodeInputs(IReadOnlyDictionary<string, object?> values)
{
    public IReadOnlyDictionary<string, object?> Values { get; } = values;

    public bool Has(string name) => Values.TryGetValue(name, out var v) && v is not null;

    public object? Raw(string name) => Values.TryGetValue(name, out var v) ? v : null;

    public torch.Tensor Tensor(string name) => Get<torch.Tensor>(name);

    public long Int(string name) => Convert.ToInt64(Raw(name) ?? throw Missing(name), CultureInfo.InvariantCulture);

    public double Float(string name) => Convert.ToDouble(Raw(name) ?? throw Missing(name), CultureInfo.InvariantCulture);

    public string String(string name) => Convert.ToString(Raw(name), CultureInfo.InvariantCulture) ?? throw Missing(name);

    public bool Boolean(string name) => Convert.ToBoolean(Raw(name) ?? throw Missing(name), CultureInfo.InvariantCulture);

    public T Get<T>(string name) => Raw(name) switch
    {
        T t => t,
        null => throw Missing(name),
        var other => throw new InvalidOperationException($"input '{name}' is a {other.GetType().Name}, not a {typeof(T).Name}"),
    };

    private static KeyNotFoundException Missing(string name) => new($"input '{name}' has no value");
}
