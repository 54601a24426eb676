using static TorchSharp.torch;

namespace ComfySnap.Diffusion.Models.StableDiffusion.Layers;

/// <summary>nn.Linear over bound weights ("weight" [out,in], optional "bias" [out]).</summary>
public sealed class Linear(WeightScope w, long inFeatures, long outFeatures, bool bias = true)
{
    private readonly Tensor _weight = w.Take("weight", [outFeatures, inFeatures], WeightRole.Weight, inFeatures);
    private readonly Tensor? _bias = bias ? w.Take("bias", [outFeatures], WeightRole.Bias) : null;

    public Tensor Forward(Tensor x) => nn.functional.linear(x, _weight, _bias);
}
