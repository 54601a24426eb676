using ComfySnap.Diffusion.Models.StableDiffusion.Layers;
using static TorchSharp.torch;

namespace ComfySnap.Diffusion.Models.StableDiffusion.Unet;

/// <summary>
/// openaimodel ResBlock: in_layers (norm, SiLU, conv), plus the projected time embedding, then
/// out_layers (norm, SiLU, conv), added to the input (through a 1x1 conv when widths differ).
/// </summary>
public sealed class UnetResBlock : IUnetLayer
{
    private const double Eps = 1e-5;
    private readonly GroupNorm _inNorm;
    private readonly Conv2d _inConv;
    private readonly Linear _embProjection;
    private readonly GroupNorm _outNorm;
    private readonly Conv2d _outConv;
    private readonly Conv2d? _skip;

    public UnetResBlock(WeightScope w, long channels, long embedDim, long outChannels)
    {
        _inNorm = new GroupNorm(w["in_layers"][0], channels, Eps);
        _inConv = new Conv2d(w["in_layers"][2], channels, outChannels, 3);
        _embProjection = new Linear(w["emb_layers"][1], embedDim, outChannels);
        _outNorm = new GroupNorm(w["out_layers"][0], outChannels, Eps);
        _outConv = new Conv2d(w["out_layers"][3], outChannels, outChannels, 3);
        _skip = outChannels == channels ? null : new Conv2d(w["skip_connection"], channels, outChannels, 1);
    }

    public Tensor Forward(Tensor h, Tensor emb, Tensor context, long[]? upsampleTo)
    {
        using var scope = NewDisposeScope();
        var x = _inConv.Forward(nn.functional.silu(_inNorm.Forward(h)));
        var e = _embProjection.Forward(nn.functional.silu(emb));
        x.add_(e.view(e.shape[0], e.shape[1], 1, 1));
        x = _outConv.Forward(nn.functional.silu(_outNorm.Forward(x)));
        var skip = _skip is null ? h : _skip.Forward(h);
        return x.add_(skip).MoveToOuterDisposeScope();
    }
}
