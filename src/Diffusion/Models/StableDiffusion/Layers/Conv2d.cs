using static TorchSharp.torch;

namespace ComfySnap.Diffusion.Models.StableDiffusion.Layers;

/// <summary>nn.Conv2d over bound weights; padding defaults to "same" for odd kernels.</summary>
public sealed class Conv2d
{
    private readonly Tensor _weight;
    private readonly Tensor _bias;
    private readonly long[]? _asKernel;
    private readonly long[] _stride;
    private readonly long[] _padding;

    public Conv2d(WeightScope w, long inChannels, long outChannels, long kernel, long stride = 1, long? padding = null)
    {
        _weight = w.Take("weight", [outChannels, inChannels, kernel, kernel], WeightRole.Weight, inChannels * kernel * kernel);
        _bias = w.Take("bias", [outChannels], WeightRole.Bias);
        _stride = [stride, stride];
        var pad = padding ?? kernel / 2;
        _padding = [pad, pad];
    }

    /// <summary>A 1x1 convolution stored as a linear weight [out,in] (SD2-style proj_in/proj_out).</summary>
    public static Conv2d FromLinearWeight(WeightScope w, long inChannels, long outChannels) => new(w, inChannels, outChannels);

    private Conv2d(WeightScope w, long inChannels, long outChannels)
    {
        // Viewed as [out,in,1,1] per call: a view made here would belong to the loader's dispose scope.
        _weight = w.Take("weight", [outChannels, inChannels], WeightRole.Weight, inChannels);
        _asKernel = [outChannels, inChannels, 1, 1];
        _bias = w.Take("bias", [outChannels], WeightRole.Bias);
        _stride = [1, 1];
        _padding = [0, 0];
    }

    /// <summary>The dtype the layer computes in (its weight's).</summary>
    public ScalarType Dtype => _weight.dtype;

    public Tensor Forward(Tensor x)
    {
        if (_asKernel is null)
        {
            return nn.functional.conv2d(x, _weight, _bias, _stride, _padding);
        }

        using var kernel = _weight.view(_asKernel);
        return nn.functional.conv2d(x, kernel, _bias, _stride, _padding);
    }
}
