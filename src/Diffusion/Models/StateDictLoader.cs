using System.Collections;
using TorchSharp;
using TorchSharp.PyBridge;

namespace ComfySnap.Diffusion.Models;

/// <summary>
/// Reads a state dict from .safetensors (.sft) or a PyTorch zip checkpoint (.pth, .pt, .ckpt, .bin).
/// Every tensor ends up on the CPU; floating-point tensors become float32. Safetensors are mapped,
/// not read (<see cref="MappedSafetensors"/>): float32 weights stay in the page cache.
/// </summary>
public static class StateDictLoader
{
    /// <summary>Wrappers that training code puts around the weights, in order of preference (EMA first).</summary>
    private static readonly string[] WrapperKeys = ["params_ema", "params", "state_dict"];

    public static StateDict Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"model file not found: {path}", path);
        }

        var tensors = IsSafetensors(path) ? ReadSafetensors(path) : ReadPickle(path);
        return new StateDict(ToFloat32(tensors));
    }

    public static bool IsSafetensors(string path) =>
        path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".sft", StringComparison.OrdinalIgnoreCase);

    private static Dictionary<string, torch.Tensor> ReadSafetensors(string path)
    {
        try
        {
            return MappedSafetensors.Read(path);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidDataException($"'{Path.GetFileName(path)}' is not a readable safetensors file: {e.Message}", e);
        }
    }

    private static Dictionary<string, torch.Tensor> ReadPickle(string path)
    {
        if (!IsZip(path))
        {
            // torch.save before PyTorch 1.6 wrote a bare pickle stream; only the zip format is read.
            throw new InvalidDataException($"'{Path.GetFileName(path)}' is not a zip-format PyTorch checkpoint (legacy torch.save format is not supported); re-save it or convert it to .safetensors");
        }

        Hashtable root;
        try
        {
            // Razorvine's unpickler only builds the few classes PyBridge registers: no code from the file runs.
            using var stream = File.OpenRead(path);
            root = PyTorchUnpickler.UnpickleStateDict(stream, leaveOpen: true);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidDataException($"'{Path.GetFileName(path)}' is not a readable PyTorch checkpoint: {e.Message}", e);
        }

        return Unwrap(root);
    }

    /// <summary>Picks the weights out of {params_ema|params|state_dict: {...}}; frees every tensor it does not keep.</summary>
    private static Dictionary<string, torch.Tensor> Unwrap(Hashtable root)
    {
        var chosen = WrapperKeys.Select(k => root[k]).OfType<IDictionary>().FirstOrDefault() ?? root;
        var kept = new Dictionary<string, torch.Tensor>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in chosen)
        {
            if (entry.Key is string key && entry.Value is torch.Tensor tensor)
            {
                kept[key] = tensor;
            }
        }

        DisposeUnkept(root, kept);
        return kept;
    }

    private static void DisposeUnkept(IDictionary dict, Dictionary<string, torch.Tensor> kept)
    {
        var keptSet = kept.Values.ToHashSet();
        foreach (DictionaryEntry entry in dict)
        {
            switch (entry.Value)
            {
                case torch.Tensor t when !keptSet.Contains(t):
                    t.Dispose();
                    break;
                case IDictionary nested:
                    DisposeUnkept(nested, kept);
                    break;
            }
        }
    }

    private static Dictionary<string, torch.Tensor> ToFloat32(Dictionary<string, torch.Tensor> tensors)
    {
        var result = new Dictionary<string, torch.Tensor>(tensors.Count, StringComparer.Ordinal);
        foreach (var (key, tensor) in tensors)
        {
            if (tensor.is_floating_point() && tensor.dtype != torch.float32)
            {
                result[key] = tensor.to_type(torch.float32);
                tensor.Dispose();
            }
            else
            {
                result[key] = tensor;
            }
        }

        return result;
    }

    private static bool IsZip(string path)
    {
        Span<byte> magic = stackalloc byte[4];
        using var stream = File.OpenRead(path);
        return stream.ReadAtLeast(magic, 4, throwOnEndOfStream: false) == 4
            && magic[0] == 0x50 && magic[1] == 0x4b && magic[2] == 0x03 && magic[3] == 0x04;
    }
}
