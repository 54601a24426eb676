using ComfySnap.Diffusion.Models.StableDiffusion.Layers;
using static TorchSharp.torch;

namespace ComfySnap.Diffusion.Models.StableDiffusion.Vae;

/// <summary>model.py ResnetBlock without time embedding: norm, swish, conv, norm, swish, conv, plus the (1x1-projected) input.</summary>
public sealed class VaeResnetBlock
{
    private const double Eps = 1e-6;
    private readonly GroupNorm _norm1;
    private readonly Conv2d _conv1;
    private readonly GroupNorm _norm2;
    private readonly Conv2d _conv2;
    private readonly Conv2d? _shortcut;

    public VaeResnetBlock(WeightScope w, long inChannels, long outChannels)
    {
        _norm1 = new GroupNorm(w["norm1"], inChannels, Eps);
        _conv1 = new Conv2d(w["conv1"], inChannels, outChannels, 3);
        _norm2 = new GroupNorm(w["norm2"], outChannels, Eps);
        _conv2 = new Conv2d(w["conv2"], outChannels, outChannels, 3);
        _shortcut = inChannels == outChannels ? null : new Conv2d(w["nin_shortcut"], inChannels, outChannels, 1);
    }

    public Tensor Forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = _conv1.Forward(nn.functional.silu(_norm1.Forward(x)));
        h = _conv2.Forward(nn.functional.silu(_norm2.Forward(h)));
        return h.add_(_shortcut is null ? x : _shortcut.Forward(x)).MoveToOuterDisposeScope();
    }
}

/// <summary>model.py AttnBlock: single-head self-attention over the H*W positions with 1x1 q/k/v/proj_out convolutions.</summary>
public sealed class VaeAttention(WeightScope w, long channels)
{
    private readonly GroupNorm _norm = new(w["norm"], channels, 1e-6);
    private readonly Conv2d _q = new(w["q"], channels, channels, 1);
    private readonly Conv2d _k = new(w["k"], channels, channels, 1);
    private readonly Conv2d _v = new(w["v"], channels, channels, 1);
    private readonly Conv2d _out = new(w["proj_out"], channels, channels, 1);

    public Tensor Forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var (b, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3]);
        var n = _norm.Forward(x);
        Tensor Tokens(Tensor t) => t.view(b, 1, c, h * wd).transpose(2, 3);
        var attended = nn.functional.scaled_dot_product_attention(Tokens(_q.Forward(n)), Tokens(_k.Forward(n)), Tokens(_v.Forward(n)));
        var back = attended.transpose(2, 3).reshape(b, c, h, wd);
        return _out.Forward(back).add_(x).MoveToOuterDisposeScope();
    }
}

/// <summary>model.py Downsample with a convolution: pad right/bottom by one, then a 3x3 stride-2 convolution.</summary>
public sealed class VaeDownsample(WeightScope w, long channels)
{
    private readonly Conv2d _conv = new(w["conv"], channels, channels, 3, stride: 2, padding: 0);

    public Tensor Forward(Tensor x)
    {
        using var padded = nn.functional.pad(x, [0, 1, 0, 1]);
        return _conv.Forward(padded);
    }
}

/// <summary>model.py Upsample with a convolution: nearest x2, then a 3x3 convolution.</summary>
public sealed class VaeUpsample(WeightScope w, long channels)
{
    private readonly Conv2d _conv = new(w["conv"], channels, channels, 3);

    public Tensor Forward(Tensor x)
    {
        using var up = nn.functional.interpolate(x, scale_factor: [2.0, 2.0], mode: InterpolationMode.Nearest);
        return _conv.Forward(up);
    }
}
