using ComfySnap.Diffusion.Models.StableDiffusion.Layers;
using static TorchSharp.torch;

namespace ComfySnap.Diffusion.Models.StableDiffusion.Unet;

/// <summary>attention.py BasicTransformerBlock: self-attention, cross-attention, GEGLU feed-forward, each pre-norm and residual.</summary>
public sealed class BasicTransformerBlock
{
    private readonly LayerNorm _norm1;
    private readonly CrossAttention _attn1;
    private readonly LayerNorm _norm2;
    private readonly CrossAttention _attn2;
    private readonly LayerNorm _norm3;
    private readonly Linear _ffIn;
    private readonly Linear _ffOut;

    public BasicTransformerBlock(WeightScope w, long dim, long contextDim, int heads, long headDim)
    {
        _norm1 = new LayerNorm(w["norm1"], dim);
        _attn1 = new CrossAttention(w["attn1"], dim, dim, heads, headDim);
        _norm2 = new LayerNorm(w["norm2"], dim);
        _attn2 = new CrossAttention(w["attn2"], dim, contextDim, heads, headDim);
        _norm3 = new LayerNorm(w["norm3"], dim);
        var inner = dim * 4;
        _ffIn = new Linear(w["ff"]["net"][0]["proj"], dim, inner * 2);
        _ffOut = new Linear(w["ff"]["net"][2], inner, dim);
    }

    public Tensor Forward(Tensor x, Tensor context)
    {
        using var scope = NewDisposeScope();
        x = _attn1.Forward(_norm1.Forward(x), null).add_(x);
        x = _attn2.Forward(_norm2.Forward(x), context).add_(x);
        return FeedForward(_norm3.Forward(x)).add_(x).MoveToOuterDisposeScope();
    }

    /// <summary>GEGLU: the projection's first half gated by GELU of its second half.</summary>
    private Tensor FeedForward(Tensor x)
    {
        var projected = _ffIn.Forward(x).chunk(2, -1);
        return _ffOut.Forward(projected[0].mul_(nn.functional.gelu(projected[1])));
    }
}
