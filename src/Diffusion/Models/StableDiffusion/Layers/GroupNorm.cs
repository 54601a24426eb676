using static TorchSharp.torch;

namespace ComfySnap.Diffusion.Models.StableDiffusion.Layers;

/// <summary>nn.GroupNorm (32 groups, affine) over bound weights.</summary>
public sealed class GroupNorm(WeightScope w, long channels, double eps, long groups = 32)
{
    private readonly Tensor _weight = w.Take("weight", [channels], WeightRole.NormWeight);
    private readonly Tensor _bias = w.Take("bias", [channels], WeightRole.NormBias);

    public Tensor Forward(Tensor x) => nn.functional.group_norm(x, groups, _weight, _bias, eps);
}
