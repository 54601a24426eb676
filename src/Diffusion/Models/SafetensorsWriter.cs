using System.Text.Json;
using TorchSharp;

namespace ComfySnap.Diffusion.Models;

/// <summary>
/// Writes a .safetensors file whose header is padded to 8 bytes (as the reference implementation
/// does), so every tensor starts at an offset its dtype can be mapped at. Tensors are written in
/// key order; the streaming overload produces one tensor at a time, so a multi-GB file never has
/// to be in memory at once.
/// </summary>
public static class SafetensorsWriter
{
    /// <summary>What the header says about one tensor.</summary>
    public sealed record Entry(string Name, torch.ScalarType DType, long[] Shape);

    public static void Save(string path, IReadOnlyDictionary<string, torch.Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        foreach (var (name, tensor) in tensors)
        {
            if (tensor.device_type != DeviceType.CPU)
            {
                throw new ArgumentException($"tensor '{name}' is on {tensor.device_type}; move it to the CPU first");
            }
        }

        var entries = tensors.Select(t => new Entry(t.Key, t.Value.dtype, t.Value.shape)).ToList();
        Save(path, entries, name => tensors[name], disposeProduced: false, metadata);
    }

    /// <summary>Writes <paramref name="entries"/>, asking <paramref name="produce"/> for each tensor when it is written (CPU, the declared dtype and shape); <paramref name="disposeProduced"/> frees each once written.</summary>
    public static void Save(string path, IReadOnlyList<Entry> entries, Func<string, torch.Tensor> produce, bool disposeProduced, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var ordered = entries.OrderBy(e => e.Name, StringComparer.Ordinal).ToList();
        var header = new Dictionary<string, object>(StringComparer.Ordinal);
        if (metadata is { Count: > 0 })
        {
            header["__metadata__"] = metadata;
        }

        long offset = 0;
        foreach (var entry in ordered)
        {
            var bytes = entry.Shape.Aggregate(1L, (a, b) => a * b) * MappedSafetensors.ItemSize(entry.DType);
            var dtype = MappedSafetensors.DTypes.FirstOrDefault(d => d.Type == entry.DType).Name
                ?? throw new ArgumentException($"tensor '{entry.Name}' has dtype {entry.DType}, which safetensors cannot store");
            header[entry.Name] = new { dtype, shape = entry.Shape, data_offsets = new[] { offset, offset + bytes } };
            offset += bytes;
        }

        var json = JsonSerializer.SerializeToUtf8Bytes(header);
        var padded = (json.Length + 7) / 8 * 8;
        using var stream = File.Create(path);
        Span<byte> length = stackalloc byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(length, padded);
        stream.Write(length);
        stream.Write(json);
        stream.Write(Enumerable.Repeat((byte)' ', padded - json.Length).ToArray());
        foreach (var entry in ordered)
        {
            var tensor = produce(entry.Name);
            try
            {
                if (tensor.dtype != entry.DType || !tensor.shape.SequenceEqual(entry.Shape))
                {
                    throw new InvalidOperationException($"tensor '{entry.Name}' was produced as {tensor.dtype} [{string.Join(',', tensor.shape)}], the header says {entry.DType} [{string.Join(',', entry.Shape)}]");
                }

                using var contiguous = tensor.contiguous();
                stream.Write(contiguous.bytes);
            }
            finally
            {
                if (disposeProduced)
                {
                    tensor.Dispose();
                }
            }
        }
    }
}
