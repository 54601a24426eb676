using ComfySnap.Diffusion.Models.StableDiffusion.Layers;
using static TorchSharp.torch;

namespace ComfySnap.Diffusion.Models.StableDiffusion.Vae;

/// <summary>model.py Encoder: conv_in, down levels (res blocks, then a downsample but at the last), mid, norm_out, conv_out (2*z channels).</summary>
public sealed class VaeEncoder
{
    private readonly Conv2d _convIn;
    private readonly (VaeResnetBlock[] Blocks, VaeDownsample? Down)[] _levels;
    private readonly VaeResnetBlock _mid1;
    private readonly VaeAttention _midAttn;
    private readonly VaeResnetBlock _mid2;
    private readonly GroupNorm _normOut;
    private readonly Conv2d _convOut;

    public VaeEncoder(WeightScope w, VaeConfig config)
    {
        var ch = config.Channels;
        _convIn = new Conv2d(w["conv_in"], config.InChannels, ch, 3);
        var blockIn = ch;
        _levels = new (VaeResnetBlock[], VaeDownsample?)[config.ChannelMult.Count];
        for (var i = 0; i < config.ChannelMult.Count; i++)
        {
            var down = w["down"][i];
            var blockOut = ch * config.ChannelMult[i];
            var blocks = new VaeResnetBlock[config.NumResBlocks];
            for (var j = 0; j < blocks.Length; j++)
            {
                blocks[j] = new VaeResnetBlock(down["block"][j], blockIn, blockOut);
                blockIn = blockOut;
            }

            _levels[i] = (blocks, i == config.ChannelMult.Count - 1 ? null : new VaeDownsample(down["downsample"], blockIn));
        }

        _mid1 = new VaeResnetBlock(w["mid"]["block_1"], blockIn, blockIn);
        _midAttn = new VaeAttention(w["mid"]["attn_1"], blockIn);
        _mid2 = new VaeResnetBlock(w["mid"]["block_2"], blockIn, blockIn);
        _normOut = new GroupNorm(w["norm_out"], blockIn, 1e-6);
        _convOut = new Conv2d(w["conv_out"], blockIn, 2 * config.ZChannels, 3);
    }

    public Tensor Forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = _convIn.Forward(x);
        foreach (var (blocks, down) in _levels)
        {
            foreach (var block in blocks)
            {
                h = Activations.Replace(h, block.Forward(h));
            }

            if (down is not null)
            {
                h = Activations.Replace(h, down.Forward(h));
            }
        }

        h = Activations.Replace(h, _mid1.Forward(h));
        h = Activations.Replace(h, _midAttn.Forward(h));
        h = Activations.Replace(h, _mid2.Forward(h));
        return _convOut.Forward(nn.functional.silu(_normOut.Forward(h))).MoveToOuterDisposeScope();
    }
}
