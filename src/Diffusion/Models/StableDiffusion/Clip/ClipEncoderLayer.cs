using ComfySnap.Diffusion.Models.StableDiffusion.Layers;
using static TorchSharp.torch;

namespace ComfySnap.Diffusion.Models.StableDiffusion.Clip;

/// <summary>CLIPEncoderLayer: pre-norm causal self-attention and a quick-GELU MLP, each residual.</summary>
public sealed class ClipEncoderLayer
{
    private readonly LayerNorm _norm1;
    private readonly Linear _q;
    private readonly Linear _k;
    private readonly Linear _v;
    private readonly Linear _out;
    private readonly LayerNorm _norm2;
    private readonly Linear _fc1;
    private readonly Linear _fc2;
    private readonly int _heads;
    private readonly long _headDim;

    public ClipEncoderLayer(WeightScope w, ClipTextConfig config)
    {
        var d = config.Hidden;
        _norm1 = new LayerNorm(w["layer_norm1"], d);
        _q = new Linear(w["self_attn"]["q_proj"], d, d);
        _k = new Linear(w["self_attn"]["k_proj"], d, d);
        _v = new Linear(w["self_attn"]["v_proj"], d, d);
        _out = new Linear(w["self_attn"]["out_proj"], d, d);
        _norm2 = new LayerNorm(w["layer_norm2"], d);
        _fc1 = new Linear(w["mlp"]["fc1"], d, config.Intermediate);
        _fc2 = new Linear(w["mlp"]["fc2"], config.Intermediate, d);
        _heads = config.Heads;
        _headDim = d / config.Heads;
    }

    public Tensor Forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var n = _norm1.Forward(x);
        var attended = nn.functional.scaled_dot_product_attention(Heads(_q.Forward(n)), Heads(_k.Forward(n)), Heads(_v.Forward(n)), is_casual: true);
        x = _out.Forward(attended.transpose(1, 2).reshape(x.shape[0], x.shape[1], x.shape[2])).add_(x);
        var m = _fc1.Forward(_norm2.Forward(x));
        m = m.mul_(sigmoid(m * 1.702)); // quick_gelu
        return _fc2.Forward(m).add_(x).MoveToOuterDisposeScope();
    }

    private Tensor Heads(Tensor t) => t.view(t.shape[0], t.shape[1], _heads, _headDim).transpose(1, 2);
}
