using static TorchSharp.torch;

namespace ComfySnap.Diffusion.Models.StableDiffusion.Layers;

/// <summary>nn.LayerNorm over the last dimension with bound weights.</summary>
public sealed class LayerNorm(WeightScope w, long dim, double eps = 1e-5)
{
    private readonly Tensor _weight = w.Take("weight", [dim], WeightRole.NormWeight);
    private readonly Tensor _bias = w.Take("bias", [dim], WeightRole.NormBias);
    private readonly long[] _shape = [dim];

    public Tensor Forward(Tensor x) => nn.functional.layer_norm(x, _shape, _weight, _bias, eps);
}
