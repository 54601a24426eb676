using System.Buffers.Binary;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;
using TorchSharp;

namespace ComfySnap.Diffusion.Models;

/// <summary>
/// Reads a .safetensors file by mapping it (read-only data, private copy-on-write, like
/// safetensors' own safe_open): every tensor whose offset suits its dtype is a view into the
/// file mapping, so its weights live in the page cache, are shared by every worker on the host,
/// and stay out of CRIU images (criu stores only pages that differ from the file). Tensors at an
/// unsuitable offset are copied.
/// </summary>
public static class MappedSafetensors
{
    private const long MaxHeaderBytes = 100L * 1024 * 1024;

    /// <summary>The safetensors dtype names and their torch types.</summary>
    internal static readonly (string Name, torch.ScalarType Type)[] DTypes =
    [
        ("F64", torch.ScalarType.Float64), ("F32", torch.ScalarType.Float32), ("F16", torch.ScalarType.Float16),
        ("BF16", torch.ScalarType.BFloat16), ("I64", torch.ScalarType.Int64), ("I32", torch.ScalarType.Int32),
        ("I16", torch.ScalarType.Int16), ("I8", torch.ScalarType.Int8), ("U8", torch.ScalarType.Byte), ("BOOL", torch.ScalarType.Bool),
    ];

    public static Dictionary<string, torch.Tensor> Read(string path)
    {
        // One open file for the header and any tensor that has to be copied.
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
        var fileLength = file.Length;
        var (headerLength, entries) = ReadHeader(file.SafeFileHandle, fileLength);
        var dataStart = 8 + headerLength;
        var mappings = new Dictionary<torch.ScalarType, torch.Tensor>();
        var tensors = new Dictionary<string, torch.Tensor>(entries.Count, StringComparer.Ordinal);
        try
        {
            foreach (var entry in entries)
            {
                tensors[entry.Name] = View(file, fileLength, dataStart, entry, mappings);
            }
        }
        catch
        {
            foreach (var t in tensors.Values)
            {
                t.Dispose();
            }

            throw;
        }
        finally
        {
            // The views keep the mapping's storage alive; the whole-file tensors are not needed.
            foreach (var m in mappings.Values)
            {
                m.Dispose();
            }
        }

        return tensors;
    }

    /// <summary>The tensor names in the header, without mapping anything (to tell model families apart).</summary>
    public static IReadOnlyList<string> ReadKeys(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
        var header = ReadHeaderBytes(file.SafeFileHandle, file.Length);
        using var json = JsonDocument.Parse(header.AsMemory().TrimEnd((byte)' '));
        return [.. json.RootElement.EnumerateObject().Select(p => p.Name).Where(n => n != "__metadata__")];
    }

    /// <summary>The header's <c>__metadata__</c> strings (empty when there are none).</summary>
    public static IReadOnlyDictionary<string, string> ReadMetadata(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
        var header = ReadHeaderBytes(file.SafeFileHandle, file.Length);
        using var json = JsonDocument.Parse(header.AsMemory().TrimEnd((byte)' '));
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        if (json.RootElement.TryGetProperty("__metadata__", out var meta) && meta.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in meta.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.String))
            {
                metadata[property.Name] = property.Value.GetString()!;
            }
        }

        return metadata;
    }

    private static torch.Tensor View(FileStream file, long fileLength, long dataStart, Entry entry, Dictionary<torch.ScalarType, torch.Tensor> mappings)
    {
        var itemSize = ItemSize(entry.DType);
        var offset = dataStart + entry.Begin;
        var count = (entry.End - entry.Begin) / itemSize;
        if (offset % itemSize != 0)
        {
            return Copy(file, offset, entry, count);
        }

        if (!mappings.TryGetValue(entry.DType, out var whole))
        {
            // One mapping of the file per dtype: from_file maps from offset 0 in whole elements.
            whole = torch.from_file(file.Name, shared: false, size: fileLength / itemSize, dtype: entry.DType);
            mappings[entry.DType] = whole;
        }

        using var slice = whole.narrow(0, offset / itemSize, count);
        return slice.view(entry.Shape);
    }

    private static torch.Tensor Copy(FileStream file, long offset, Entry entry, long count)
    {
        file.Position = offset;
        using var flat = torch.empty(count, entry.DType);
        flat.ReadBytesFromStream(file, 1024 * 1024);
        return flat.view(entry.Shape);
    }

    private static (long HeaderLength, List<Entry> Entries) ReadHeader(SafeFileHandle handle, long fileLength)
    {
        var header = ReadHeaderBytes(handle, fileLength);
        var headerLength = header.LongLength;
        var dataLength = fileLength - 8 - headerLength;
        var entries = new List<Entry>();
        using var json = JsonDocument.Parse(header.AsMemory().TrimEnd((byte)' '));
        foreach (var property in json.RootElement.EnumerateObject())
        {
            if (property.Name == "__metadata__")
            {
                continue;
            }

            var entry = ParseEntry(property);
            if (entry.Begin < 0 || entry.End < entry.Begin || entry.End > dataLength)
            {
                throw new InvalidDataException($"tensor '{entry.Name}' lies outside the file's data ({entry.Begin}..{entry.End} of {dataLength} bytes)");
            }

            var expected = entry.Shape.Aggregate(1L, (a, b) => a * b) * ItemSize(entry.DType);
            if (expected != entry.End - entry.Begin)
            {
                throw new InvalidDataException($"tensor '{entry.Name}' has {entry.End - entry.Begin} bytes, its shape and dtype need {expected}");
            }

            entries.Add(entry);
        }

        return (headerLength, entries);
    }

    private static byte[] ReadHeaderBytes(SafeFileHandle handle, long fileLength)
    {
        Span<byte> prefix = stackalloc byte[8];
        if (fileLength < 8 || RandomAccess.Read(handle, prefix, 0) != 8)
        {
            throw new InvalidDataException("shorter than a safetensors header");
        }

        var headerLength = BinaryPrimitives.ReadInt64LittleEndian(prefix);
        if (headerLength <= 0 || headerLength > MaxHeaderBytes || 8 + headerLength > fileLength)
        {
            throw new InvalidDataException($"header length {headerLength} does not fit a {fileLength}-byte file");
        }

        var header = new byte[headerLength];
        RandomAccess.Read(handle, header, 8);
        return header;
    }

    private static Entry ParseEntry(JsonProperty property)
    {
        var value = property.Value;
        var name = value.GetProperty("dtype").GetString();
        var dtype = DTypes.FirstOrDefault(d => d.Name == name) is { Name: not null } known
            ? known.Type
            : throw new InvalidDataException($"tensor '{property.Name}' has unsupported dtype '{name}'");
        var shape = value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();
        var offsets = value.GetProperty("data_offsets").EnumerateArray().Select(d => d.GetInt64()).ToArray();
        return offsets.Length == 2
            ? new Entry(property.Name, dtype, shape, offsets[0], offsets[1])
            : throw new InvalidDataException($"tensor '{property.Name}' needs two data_offsets");
    }

    internal static long ItemSize(torch.ScalarType dtype) => dtype switch
    {
        torch.ScalarType.Float64 or torch.ScalarType.Int64 => 8,
        torch.ScalarType.Float32 or torch.ScalarType.Int32 => 4,
        torch.ScalarType.Float16 or torch.ScalarType.BFloat16 or torch.ScalarType.Int16 => 2,
        _ => 1,
    };

    private sealed record Entry(string Name, torch.ScalarType DType, long[] Shape, long Begin, long End);
}
