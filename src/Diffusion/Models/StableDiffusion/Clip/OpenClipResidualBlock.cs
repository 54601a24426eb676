using ComfySnap.Diffusion.Models.StableDiffusion.Layers;
using static TorchSharp.torch;

namespace ComfySnap.Diffusion.Models.StableDiffusion.Clip;

/// <summary>
/// open_clip ResidualAttentionBlock: pre-norm causal self-attention (nn.MultiheadAttention with
/// its fused in_proj, split into q, k, v) and an exact-GELU MLP (c_fc, c_proj), each residual.
/// ComfyUI splits in_proj into three Linear layers; the products are the same.
/// </summary>
public sealed class OpenClipResidualBlock
{
    private readonly LayerNorm _ln1;
    private readonly Tensor _inProjWeight;
    private readonly Tensor _inProjBias;
    private readonly Linear _outProj;
    private readonly LayerNorm _ln2;
    private readonly Linear _fc;
    private readonly Linear _proj;
    private readonly int _heads;
    private readonly long _headDim;

    public OpenClipResidualBlock(WeightScope w, OpenClipTextConfig config)
    {
        var d = config.Width;
        _ln1 = new LayerNorm(w["ln_1"], d);
        _inProjWeight = w["attn"].Take("in_proj_weight", [3 * d, d], WeightRole.Weight, d);
        _inProjBias = w["attn"].Take("in_proj_bias", [3 * d], WeightRole.Bias);
        _outProj = new Linear(w["attn"]["out_proj"], d, d);
        _ln2 = new LayerNorm(w["ln_2"], d);
        _fc = new Linear(w["mlp"]["c_fc"], d, config.MlpWidth);
        _proj = new Linear(w["mlp"]["c_proj"], config.MlpWidth, d);
        _heads = config.Heads;
        _headDim = d / config.Heads;
    }

    public Tensor Forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var qkv = nn.functional.linear(_ln1.Forward(x), _inProjWeight, _inProjBias).chunk(3, -1);
        var attended = nn.functional.scaled_dot_product_attention(Heads(qkv[0]), Heads(qkv[1]), Heads(qkv[2]), is_casual: true);
        x = _outProj.Forward(attended.transpose(1, 2).reshape(x.shape[0], x.shape[1], x.shape[2])).add_(x);
        var m = nn.functional.gelu(_fc.Forward(_ln2.Forward(x)));
        return _proj.Forward(m).add_(x).MoveToOuterDisposeScope();
    }

    private Tensor Heads(Tensor t) => t.reshape(t.shape[0], t.shape[1], _heads, _headDim).transpose(1, 2);
}
