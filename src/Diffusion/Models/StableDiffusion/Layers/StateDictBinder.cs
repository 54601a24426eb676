using TorchSharp;

namespace ComfySnap.Diffusion.Models.StableDiffusion.Layers;

/// <summary>Binds layers to a checkpoint's tensors, checking presence and shape; remembers what it used.</summary>
public sealed class StateDictBinder(IReadOnlyDictionary<string, torch.Tensor> tensors, string modelName) : WeightBinder
{
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    /// <summary>Keys the model took, so the caller can tell which checkpoint keys were ignored.</summary>
    public IReadOnlySet<string> Used => _used;

    public override torch.Tensor Bind(string key, long[] shape, WeightRole role, long fanIn)
    {
        if (!tensors.TryGetValue(key, out var tensor))
        {
            throw new InvalidDataException($"checkpoint has no '{key}', which the {modelName} needs (shape [{string.Join(',', shape)}])");
        }

        if (!tensor.shape.SequenceEqual(shape))
        {
            throw new InvalidDataException($"checkpoint tensor '{key}' has shape [{string.Join(',', tensor.shape)}], the {modelName} needs [{string.Join(',', shape)}]");
        }

        _used.Add(key);
        return tensor;
    }
}
