using ComfySnap.Diffusion.Models.StableDiffusion.Layers;
using static TorchSharp.torch;

namespace ComfySnap.Diffusion.Models.StableDiffusion.Unet;

/// <summary>
/// The UNet's way down as openaimodel builds it: input_blocks (the input convolution, then per
/// level res blocks, with a spatial transformer where the level has attention, and a downsampler
/// between levels; res blocks and transformer depth per level as the config says) and the middle
/// block. A ControlNet is a copy of exactly this half.
/// </summary>
public static class UnetInputBlocks
{
    /// <summary>The input blocks under <paramref name="w"/> (input_blocks.N) and each block's output channels.</summary>
    public static (IUnetLayer[][] Blocks, IReadOnlyList<long> Channels) Build(WeightScope w, UnetConfig config)
    {
        var mc = config.ModelChannels;
        var embed = config.TimeEmbedDim;
        var blocks = new List<IUnetLayer[]> { new IUnetLayer[] { new ConvIn(w[0][0], config.InChannels, mc) } };
        var channels = new List<long> { mc };
        var ch = mc;
        var ds = 1;
        for (var level = 0; level < config.ChannelMult.Count; level++)
        {
            for (var r = 0; r < config.ResBlocksAt(level); r++)
            {
                var block = w[blocks.Count];
                var outCh = config.ChannelMult[level] * mc;
                var layers = new List<IUnetLayer> { new UnetResBlock(block[0], ch, embed, outCh) };
                ch = outCh;
                if (config.AttentionResolutions.Contains(ds))
                {
                    layers.Add(new SpatialTransformer(block[1], ch, config, config.DepthAt(level)));
                }

                blocks.Add([.. layers]);
                channels.Add(ch);
            }

            if (level != config.ChannelMult.Count - 1)
            {
                blocks.Add([new UnetDownsample(w[blocks.Count][0], ch)]);
                channels.Add(ch);
                ds *= 2;
            }
        }

        return ([.. blocks], channels);
    }

    /// <summary>middle_block: res block, spatial transformer, res block, at <paramref name="channels"/> channels.</summary>
    public static IUnetLayer[] Middle(WeightScope w, long channels, UnetConfig config) =>
    [
        new UnetResBlock(w[0], channels, config.TimeEmbedDim, channels),
        new SpatialTransformer(w[1], channels, config, config.MiddleDepth),
        new UnetResBlock(w[2], channels, config.TimeEmbedDim, channels),
    ];

    /// <summary>input_blocks.0.0: the plain 3x3 convolution from latent channels.</summary>
    private sealed class ConvIn(WeightScope w, long inChannels, long channels) : IUnetLayer
    {
        private readonly Conv2d _conv = new(w, inChannels, channels, 3);

        public Tensor Forward(Tensor h, Tensor emb, Tensor context, long[]? upsampleTo) => _conv.Forward(h);
    }
}
