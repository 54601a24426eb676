using ComfySnap.Diffusion.Models.StableDiffusion.Layers;
using static TorchSharp.torch;

namespace ComfySnap.Diffusion.Models.StableDiffusion.Vae;

/// <summary>model.py Decoder: conv_in from z, mid, up levels from the deepest (num_res_blocks+1 res blocks, then upsample but at level 0), norm_out, conv_out.</summary>
public sealed class VaeDecoder
{
    private readonly Conv2d _convIn;
    private readonly VaeResnetBlock _mid1;
    private readonly VaeAttention _midAttn;
    private readonly VaeResnetBlock _mid2;
    private readonly (VaeResnetBlock[] Blocks, VaeUpsample? Up)[] _levelsDeepestFirst;
    private readonly GroupNorm _normOut;
    private readonly Conv2d _convOut;

    public VaeDecoder(WeightScope w, VaeConfig config)
    {
        var ch = config.Channels;
        var blockIn = ch * config.ChannelMult[^1];
        _convIn = new Conv2d(w["conv_in"], config.ZChannels, blockIn, 3);
        _mid1 = new VaeResnetBlock(w["mid"]["block_1"], blockIn, blockIn);
        _midAttn = new VaeAttention(w["mid"]["attn_1"], blockIn);
        _mid2 = new VaeResnetBlock(w["mid"]["block_2"], blockIn, blockIn);
        var levels = new List<(VaeResnetBlock[], VaeUpsample?)>();
        for (var i = config.ChannelMult.Count - 1; i >= 0; i--)
        {
            var up = w["up"][i];
            var blockOut = ch * config.ChannelMult[i];
            var blocks = new VaeResnetBlock[config.NumResBlocks + 1];
            for (var j = 0; j < blocks.Length; j++)
            {
                blocks[j] = new VaeResnetBlock(up["block"][j], blockIn, blockOut);
                blockIn = blockOut;
            }

            levels.Add((blocks, i == 0 ? null : new VaeUpsample(up["upsample"], blockIn)));
        }

        _levelsDeepestFirst = [.. levels];
        _normOut = new GroupNorm(w["norm_out"], blockIn, 1e-6);
        _convOut = new Conv2d(w["conv_out"], blockIn, config.OutChannels, 3);
    }

    public Tensor Forward(Tensor z)
    {
        using var scope = NewDisposeScope();
        var h = _convIn.Forward(z);
        h = Activations.Replace(h, _mid1.Forward(h));
        h = Activations.Replace(h, _midAttn.Forward(h));
        h = Activations.Replace(h, _mid2.Forward(h));
        foreach (var (blocks, up) in _levelsDeepestFirst)
        {
            foreach (var block in blocks)
            {
                h = Activations.Replace(h, block.Forward(h));
            }

            if (up is not null)
            {
                h = Activations.Replace(h, up.Forward(h));
            }
        }

        return _convOut.Forward(nn.functional.silu(_normOut.Forward(h))).MoveToOuterDisposeScope();
    }
}
