using TorchSharp;

namespace ComfySnap.Diffusion.Models;

/// <summary>Named tensors read from a checkpoint, owned here: disposing it frees them all.</summary>
public sealed class StateDict(IReadOnlyDictionary<string, torch.Tensor> tensors) : IDisposable
{
    public IReadOnlyDictionary<string, torch.Tensor> Tensors { get; } = tensors;

    public bool Contains(string key) => Tensors.ContainsKey(key);

    /// <summary>The tensor under <paramref name="key"/>, or a clear error naming the missing key.</summary>
    public torch.Tensor Require(string key, string what) =>
        Tensors.TryGetValue(key, out var t)
            ? t
            : throw new InvalidDataException($"{what}: missing key '{key}'");

    public void Dispose()
    {
        foreach (var tensor in Tensors.Values)
        {
            tensor.Dispose();
        }
    }
}
