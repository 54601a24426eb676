using System.Text.Json;
using TorchSharp;

namespace ComfySnap.Worker.Models;

/// <summary>
/// Writes a .safetensors file whose header is padded to 8 bytes (as the reference implementation
/// does), so every tensor starts at an offset its dtype can be mapped at.
/// </summary>
public static class SafetensorsWriter
{
    public static void Save(string path, IReadOnlyDictionary<string, torch.Tensor> tensors)
    {
        var header = new Dictionary<string, object>(StringComparer.Ordinal);
        long offset = 0;
        var ordered = tensors.OrderBy(t => t.Key, StringComparer.Ordinal).ToList();
        foreach (var (name, tensor) in ordered)
        {
            if (tensor.device_type != DeviceType.CPU)
            {
                throw new ArgumentException($"tensor '{name}' is on {tensor.device_type}; move it to the CPU first");
            }

            var bytes = tensor.numel() * MappedSafetensors.ItemSize(tensor.dtype);
            var dtype = MappedSafetensors.DTypes.FirstOrDefault(d => d.Type == tensor.dtype).Name
                ?? throw new ArgumentException($"tensor '{name}' has dtype {tensor.dtype}, which safetensors cannot store");
            header[name] = new { dtype, shape = tensor.shape, data_offsets = new[] { offset, offset + bytes } };
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
        foreach (var (_, tensor) in ordered)
        {
            using var contiguous = tensor.contiguous();
            stream.Write(contiguous.bytes);
        }
    }
}
