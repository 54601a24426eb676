using ComfySnap.Diffusion.Models.StableDiffusion.Layers;
using static TorchSharp.torch;

namespace ComfySnap.Diffusion.Models.StableDiffusion.Unet;

/// <summary>
/// attention.py CrossAttention: softmax(q k^T / sqrt(d)) v over <c>heads</c> heads, q from the
/// image tokens, k and v from the context (self-attention when the context is the tokens
/// themselves). Computed by torch's fused scaled-dot-product kernel, which never holds the
/// whole tokens x tokens matrix.
/// </summary>
public sealed class CrossAttention
{
    private readonly Linear _q;
    private readonly Linear _k;
    private readonly Linear _v;
    private readonly Linear _out;
    private readonly int _heads;
    private readonly long _headDim;

    public CrossAttention(WeightScope w, long queryDim, long contextDim, int heads, long headDim)
    {
        var inner = heads * headDim;
        _q = new Linear(w["to_q"], queryDim, inner, bias: false);
        _k = new Linear(w["to_k"], contextDim, inner, bias: false);
        _v = new Linear(w["to_v"], contextDim, inner, bias: false);
        _out = new Linear(w["to_out"][0], inner, queryDim);
        _heads = heads;
        _headDim = headDim;
    }

    /// <param name="x">[B, N, queryDim]</param>
    /// <param name="context">[B, M, contextDim], or null for self-attention</param>
    public Tensor Forward(Tensor x, Tensor? context)
    {
        using var scope = NewDisposeScope();
        var c = context ?? x;
        var q = SplitHeads(_q.Forward(x));
        var k = SplitHeads(_k.Forward(c));
        var v = SplitHeads(_v.Forward(c));
        var attended = nn.functional.scaled_dot_product_attention(q, k, v);
        var merged = attended.transpose(1, 2).reshape(x.shape[0], x.shape[1], _heads * _headDim);
        return _out.Forward(merged).MoveToOuterDisposeScope();
    }

    private Tensor SplitHeads(Tensor t) => t.view(t.shape[0], t.shape[1], _heads, _headDim).transpose(1, 2);
}
