using ComfySnap.Diffusion.Models.StableDiffusion.Layers;
using static TorchSharp.torch;

namespace ComfySnap.Diffusion.Models.StableDiffusion.Unet;

/// <summary>openaimodel Downsample: a 3x3 convolution with stride 2 ("op").</summary>
public sealed class UnetDownsample(WeightScope w, long channels) : IUnetLayer
{
    private readonly Conv2d _op = new(w["op"], channels, channels, 3, stride: 2, padding: 1);

    public Tensor Forward(Tensor h, Tensor emb, Tensor context, long[]? upsampleTo) => _op.Forward(h);
}

/// <summary>openaimodel Upsample: nearest x2 (to the skip connection's size when given), then a 3x3 convolution.</summary>
public sealed class UnetUpsample(WeightScope w, long channels) : IUnetLayer
{
    private readonly Conv2d _conv = new(w["conv"], channels, channels, 3);

    public Tensor Forward(Tensor h, Tensor emb, Tensor context, long[]? upsampleTo)
    {
        // ComfyUI upsamples to the skip connection's size, so odd latent sizes work too.
        using var up = upsampleTo is null
            ? nn.functional.interpolate(h, scale_factor: [2.0, 2.0], mode: InterpolationMode.Nearest)
            : nn.functional.interpolate(h, size: upsampleTo, mode: InterpolationMode.Nearest);
        return _conv.Forward(up);
    }
}
