using ComfySnap.NodeSdk;
using Microsoft.Extensions.Options;
using TorchSharp;

namespace ComfySnap.Engine.Execution;

/// <summary>
/// ComfyUI-style in-process cache of node outputs, keyed by a node's signature (class_type,
/// inputs and its ancestors' signatures). Least recently used entries are dropped once the
/// tensors held exceed the byte budget; dropped tensors are disposed. Not thread-safe: the
/// executor runs one workflow at a time.
/// </summary>
public sealed class NodeOutputCache(IOptions<EngineOptions> options) : IDisposable
{
    private readonly long _budget = options.Value.NodeCacheBytes;
    private readonly Dictionary<string, LinkedListNode<Entry>> _entries = new(StringComparer.Ordinal);
    private readonly LinkedList<Entry> _lru = new();

    public long Bytes { get; private set; }

    public int Count => _entries.Count;

    public bool Enabled => _budget > 0;

    public bool TryGet(string signature, out IReadOnlyList<object?> values)
    {
        if (_entries.TryGetValue(signature, out var node))
        {
            _lru.Remove(node);
            _lru.AddFirst(node);
            values = node.Value.Values;
            return true;
        }

        values = [];
        return false;
    }

    /// <summary>Takes ownership of the values' tensors. Call <see cref="Trim"/> when no run uses them.</summary>
    public void Add(string signature, IReadOnlyList<object?> values)
    {
        if (_entries.ContainsKey(signature))
        {
            return;
        }

        var entry = new Entry(signature, values, values.Sum(TensorOwnership.SizeInBytes));
        _entries[signature] = _lru.AddFirst(entry);
        Bytes += entry.Bytes;
    }

    /// <summary>Drops least recently used entries until the cache fits its budget.</summary>
    public void Trim()
    {
        while (Bytes > _budget && _lru.Last is { } last)
        {
            Remove(last);
        }
    }

    public void Clear()
    {
        while (_lru.Last is { } last)
        {
            Remove(last);
        }
    }

    public void Dispose() => Clear();

    private void Remove(LinkedListNode<Entry> node)
    {
        _lru.Remove(node);
        _entries.Remove(node.Value.Signature);
        Bytes -= node.Value.Bytes;
        foreach (var value in node.Value.Values)
        {
            TensorOwnership.Dispose(value);
        }
    }

    private sealed record Entry(string Signature, IReadOnlyList<object?> Values, long Bytes);
}

/// <summary>How the engine finds, sizes, detaches and frees the tensors inside node values.</summary>
internal static class TensorOwnership
{
    public static IEnumerable<torch.Tensor> TensorsOf(object? value) => value switch
    {
        torch.Tensor t => [t],
        ITensorHolder holder => holder.Tensors,
        _ => [],
    };

    public static long SizeInBytes(object? value) => TensorsOf(value).Sum(t => t.IsInvalid ? 0 : t.numel() * t.ElementSize);

    public static void Dispose(object? value)
    {
        foreach (var tensor in TensorsOf(value))
        {
            tensor.Dispose();
        }
    }
}
