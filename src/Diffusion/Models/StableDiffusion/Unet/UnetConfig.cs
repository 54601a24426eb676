using static ComfySnap.Diffusion.Models.StableDiffusion.CheckpointLayout;

namespace ComfySnap.Diffusion.Models.StableDiffusion.Unet;

/// <summary>
/// The SD 1.x UNet's sizes (CompVis openaimodel UNetModel with a spatial transformer). Every
/// size but the head count is read from the checkpoint's shapes, as ComfyUI's model detection does.
/// </summary>
public sealed record UnetConfig(
    long InChannels,
    long OutChannels,
    long ModelChannels,
    int NumResBlocks,
    IReadOnlyList<long> ChannelMult,
    IReadOnlySet<int> AttentionResolutions,
    int TransformerDepth,
    long ContextDim,
    int NumHeads,
    long NumHeadChannels,
    bool LinearProjection)
{
    /// <summary>SD 1.x: 8 heads in every attention block (head counts are not in the shapes).</summary>
    public const int DefaultNumHeads = 8;

    public long TimeEmbedDim => ModelChannels * 4;

    /// <summary>Heads and head width of an attention block with <paramref name="channels"/> channels.</summary>
    public (int Heads, long HeadDim) HeadsFor(long channels) => NumHeadChannels > 0
        ? ((int)(channels / NumHeadChannels), NumHeadChannels)
        : (NumHeads, channels / NumHeads);

    /// <summary>The sizes of the UNet whose keys start with <paramref name="prefix"/>; a ControlNet (the UNet's way down, no "out") reads as latent channels in and out.</summary>
    public static UnetConfig Infer(IReadOnlyDictionary<string, long[]> shapes, ArchOverrides overrides, string prefix = UnetPrefix)
    {
        var p = prefix;
        var first = Shape(shapes, p + "input_blocks.0.0.weight", "UNet input convolution");
        var (mc, inCh) = (first[0], first[1]);
        var outCh = shapes.TryGetValue(p + "out.2.weight", out var outConv) ? outConv[0] : inCh;
        var inputBlocks = Indices(shapes, p, @"input_blocks\.(\d+)\.").Max + 1;
        var level = 0;
        var mults = new List<long>();
        var resPerLevel = new Dictionary<int, int>();
        var attention = new HashSet<int>();
        long? context = null;
        int? depth = null;
        var linear = false;
        for (var i = 1; i < inputBlocks; i++)
        {
            if (shapes.ContainsKey($"{p}input_blocks.{i}.0.op.weight"))
            {
                level++;
                continue;
            }

            var och = Shape(shapes, $"{p}input_blocks.{i}.0.in_layers.2.weight", "UNet res block")[0];
            if (mults.Count <= level)
            {
                mults.Add(och / mc);
            }

            resPerLevel[level] = resPerLevel.GetValueOrDefault(level) + 1;
            if (shapes.TryGetValue($"{p}input_blocks.{i}.1.proj_in.weight", out var projIn))
            {
                attention.Add(1 << level);
                context = Shape(shapes, $"{p}input_blocks.{i}.1.transformer_blocks.0.attn2.to_k.weight", "cross-attention")[1];
                depth = Indices(shapes, $"{p}input_blocks.{i}.1.", @"transformer_blocks\.(\d+)\.").Count;
                linear = projIn.Length == 2;
            }
        }

        var resCounts = resPerLevel.Values.Distinct().ToList();
        if (resCounts.Count != 1)
        {
            throw new InvalidDataException($"not an SD 1.x UNet: res blocks per level differ ({string.Join(", ", resPerLevel.Select(kv => $"level {kv.Key}: {kv.Value}"))})");
        }

        if (context is null)
        {
            // Attention only in the middle block.
            context = Shape(shapes, p + "middle_block.1.transformer_blocks.0.attn2.to_k.weight", "cross-attention")[1];
            depth = Indices(shapes, p + "middle_block.1.", @"transformer_blocks\.(\d+)\.").Count;
            linear = Shape(shapes, p + "middle_block.1.proj_in.weight", "middle block projection").Length == 2;
        }

        if (shapes.ContainsKey(p + "label_emb.0.0.weight"))
        {
            throw new InvalidDataException("not an SD 1.x UNet: class-conditional (label_emb) models such as SDXL are not supported");
        }

        if (Shape(shapes, p + "input_blocks.1.0.emb_layers.1.weight", "time embedding projection")[0] != mults[0] * mc)
        {
            throw new InvalidDataException("not an SD 1.x UNet: scale-shift normalisation (emb_layers twice the width) is not supported");
        }

        var heads = overrides.UnetNumHeads ?? DefaultNumHeads;
        var headChannels = overrides.UnetNumHeadChannels ?? -1;
        return new UnetConfig(inCh, outCh, mc, resCounts[0], mults, attention, depth ?? 1, context.Value,
            headChannels > 0 ? -1 : heads, headChannels, linear);
    }

    public override string ToString() =>
        $"UNet(ch {ModelChannels}, mult {string.Join(',', ChannelMult)}, {NumResBlocks} res blocks, attention at {string.Join(',', AttentionResolutions.Order())}, depth {TransformerDepth}, context {ContextDim}, heads {(NumHeadChannels > 0 ? $"{NumHeadChannels} ch each" : NumHeads)})";
}
