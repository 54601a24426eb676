using TorchSharp;

namespace ComfySnap.Diffusion.Models.StableDiffusion.Layers;

/// <summary>What a tensor is for: decides how a random-weight checkpoint initialises it.</summary>
public enum WeightRole
{
    Weight,
    Bias,
    NormWeight,
    NormBias,
    TokenEmbedding,
    PositionEmbedding,
}

/// <summary>
/// Hands each layer its tensor by checkpoint key. Layers ask for the key, the shape they need and
/// what the tensor is for; a loaded checkpoint answers with its (mapped) tensor or a clear error
/// naming the key, and the checkpoint generator records the request instead. So one model
/// definition drives loading, validation and generation, with no key-mapping table.
/// </summary>
public abstract class WeightBinder
{
    /// <summary>The tensor for <paramref name="key"/> of <paramref name="shape"/>; <paramref name="role"/> and <paramref name="fanIn"/> (inputs per output unit of linear/conv weights, else 0) say how a generator initialises it.</summary>
    public abstract torch.Tensor Bind(string key, long[] shape, WeightRole role, long fanIn);

    public WeightScope Root(string prefix) => new(this, prefix);
}

/// <summary>A key prefix under a binder, like a submodule path ("input_blocks.1.1.").</summary>
public readonly record struct WeightScope(WeightBinder Binder, string Prefix)
{
    public WeightScope this[string child] => new(Binder, Prefix + child + ".");

    public WeightScope this[int child] => this[child.ToString(System.Globalization.CultureInfo.InvariantCulture)];

    public torch.Tensor Take(string name, long[] shape, WeightRole role, long fanIn = 0) =>
        Binder.Bind(Prefix + name, shape, role, fanIn);
}
