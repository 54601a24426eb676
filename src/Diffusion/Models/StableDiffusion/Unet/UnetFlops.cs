namespace ComfySnap.Diffusion.Models.StableDiffusion.Unet;

/// <summary>
/// Floating-point operations of one UNet call, counted from its config the way PyTorch's
/// flop_counter counts them: 2 per multiply-add of every convolution, linear layer and attention
/// matmul; normalisations, activations and additions are not counted (a few percent at most).
/// Lets a bench turn seconds per step into achieved GFLOP/s beside the CPU's peak.
/// </summary>
public static class UnetFlops
{
    /// <summary>CLIP's prompt length: the cross-attention context of one 77-token window.</summary>
    public const int ContextTokens = 77;

    /// <summary>FLOPs of one call on <paramref name="batch"/> latents of <paramref name="latentHeight"/> x <paramref name="latentWidth"/> with one 77-token context.</summary>
    public static double PerCall(UnetConfig config, int batch, long latentHeight, long latentWidth)
    {
        var count = new Counter(config, batch);
        var mc = config.ModelChannels;
        var embed = config.TimeEmbedDim;
        count.Linear(1, mc, embed);
        count.Linear(1, embed, embed);
        if (config.AdmInChannels > 0)
        {
            count.Linear(1, config.AdmInChannels, embed);
            count.Linear(1, embed, embed);
        }

        var (h, w) = (latentHeight, latentWidth);
        count.Conv(h * w, config.InChannels, mc, 3);
        var skips = new Stack<long>();
        skips.Push(mc);
        var ch = mc;
        var ds = 1;
        var levels = config.ChannelMult.Count;
        for (var level = 0; level < levels; level++)
        {
            for (var r = 0; r < config.ResBlocksAt(level); r++)
            {
                var outCh = config.ChannelMult[level] * mc;
                count.ResBlock(h * w, ch, outCh);
                ch = outCh;
                if (config.AttentionResolutions.Contains(ds))
                {
                    count.Transformer(h * w, ch, config.DepthAt(level));
                }

                skips.Push(ch);
            }

            if (level != levels - 1)
            {
                // Stride-2 convolution: counted at its output size, as PyTorch does.
                (h, w) = ((h + 1) / 2, (w + 1) / 2);
                count.Conv(h * w, ch, ch, 3);
                skips.Push(ch);
                ds *= 2;
            }
        }

        count.ResBlock(h * w, ch, ch);
        count.Transformer(h * w, ch, config.MiddleDepth);
        count.ResBlock(h * w, ch, ch);

        for (var level = levels - 1; level >= 0; level--)
        {
            for (var i = 0; i <= config.ResBlocksAt(level); i++)
            {
                var outCh = config.ChannelMult[level] * mc;
                count.ResBlock(h * w, ch + skips.Pop(), outCh);
                ch = outCh;
                if (config.AttentionResolutions.Contains(ds))
                {
                    count.Transformer(h * w, ch, config.DepthAt(level));
                }

                if (level != 0 && i == config.ResBlocksAt(level))
                {
                    (h, w) = (h * 2, w * 2);
                    count.Conv(h * w, ch, ch, 3);
                    ds /= 2;
                }
            }
        }

        count.Conv(h * w, mc, config.OutChannels, 3);
        return count.Total;
    }

    /// <summary>Adds up multiply-adds (x2) of one batch.</summary>
    private sealed class Counter(UnetConfig config, int batch)
    {
        public double Total { get; private set; }

        /// <summary>A dense layer applied to <paramref name="rows"/> vectors per batch item.</summary>
        public void Linear(long rows, long inFeatures, long outFeatures) =>
            Total += 2.0 * batch * rows * inFeatures * outFeatures;

        /// <summary>A k x k convolution producing <paramref name="pixels"/> output positions.</summary>
        public void Conv(long pixels, long inChannels, long outChannels, int kernel) =>
            Total += 2.0 * batch * pixels * outChannels * inChannels * kernel * kernel;

        /// <summary>Two 3x3 convolutions, the time embedding's projection and a 1x1 skip when widths differ.</summary>
        public void ResBlock(long pixels, long inChannels, long outChannels)
        {
            Conv(pixels, inChannels, outChannels, 3);
            Linear(1, config.TimeEmbedDim, outChannels);
            Conv(pixels, outChannels, outChannels, 3);
            if (inChannels != outChannels)
            {
                Conv(pixels, inChannels, outChannels, 1);
            }
        }

        /// <summary>Projections in and out around <paramref name="depth"/> blocks of self-attention, cross-attention and a GEGLU feed-forward.</summary>
        public void Transformer(long tokens, long channels, int depth)
        {
            if (depth == 0)
            {
                return;
            }

            var (heads, headDim) = config.HeadsFor(channels);
            var inner = heads * headDim;
            Linear(tokens, channels, inner);
            for (var d = 0; d < depth; d++)
            {
                Attention(tokens, tokens, inner, inner);
                Attention(tokens, ContextTokens, inner, config.ContextDim);
                Linear(tokens, inner, inner * 8);
                Linear(tokens, inner * 4, inner);
            }

            Linear(tokens, inner, channels);
        }

        /// <summary>q, k, v and out projections plus the two attention matmuls (scores and weighted values).</summary>
        private void Attention(long queries, long keys, long inner, long keyWidth)
        {
            Linear(queries, inner, inner);
            Linear(keys, keyWidth, inner);
            Linear(keys, keyWidth, inner);
            Total += 2.0 * 2.0 * batch * queries * keys * inner;
            Linear(queries, inner, inner);
        }
    }
}
