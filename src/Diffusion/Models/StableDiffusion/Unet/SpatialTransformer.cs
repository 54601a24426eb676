using ComfySnap.Diffusion.Models.StableDiffusion.Layers;
using static TorchSharp.torch;

namespace ComfySnap.Diffusion.Models.StableDiffusion.Unet;

/// <summary>
/// attention.py SpatialTransformer: group norm, 1x1 projection in, transformer blocks over the
/// H*W tokens with the text context, projection out, added to the input.
/// </summary>
public sealed class SpatialTransformer : IUnetLayer
{
    private readonly GroupNorm _norm;
    private readonly Conv2d _projIn;
    private readonly BasicTransformerBlock[] _blocks;
    private readonly Conv2d _projOut;
    private readonly long _inner;

    public SpatialTransformer(WeightScope w, long channels, UnetConfig config, int depth)
    {
        var (heads, headDim) = config.HeadsFor(channels);
        _inner = heads * headDim;
        _norm = new GroupNorm(w["norm"], channels, 1e-6);
        _projIn = config.LinearProjection
            ? Conv2d.FromLinearWeight(w["proj_in"], channels, _inner)
            : new Conv2d(w["proj_in"], channels, _inner, 1);
        _blocks = [.. Enumerable.Range(0, depth)
            .Select(i => new BasicTransformerBlock(w["transformer_blocks"][i], _inner, config.ContextDim, heads, headDim))];
        _projOut = config.LinearProjection
            ? Conv2d.FromLinearWeight(w["proj_out"], _inner, channels)
            : new Conv2d(w["proj_out"], _inner, channels, 1);
    }

    public Tensor Forward(Tensor h, Tensor emb, Tensor context, long[]? upsampleTo)
    {
        using var scope = NewDisposeScope();
        var (b, height, width) = (h.shape[0], h.shape[2], h.shape[3]);
        var x = _projIn.Forward(_norm.Forward(h));
        x = x.view(b, _inner, height * width).transpose(1, 2).contiguous();
        foreach (var block in _blocks)
        {
            x = block.Forward(x, context);
        }

        x = x.transpose(1, 2).reshape(b, _inner, height, width);
        return _projOut.Forward(x).add_(h).MoveToOuterDisposeScope();
    }
}
