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

    /// <summary>Res blocks per level when levels differ (sgm's list form); null: <see cref="NumResBlocks"/> everywhere.</summary>
    public IReadOnlyList<int>? LevelResBlocks { get; init; }

    /// <summary>Transformer depth per level (sgm's list form, SDXL); null: <see cref="TransformerDepth"/> everywhere.</summary>
    public IReadOnlyList<int>? LevelTransformerDepths { get; init; }

    /// <summary>The middle block's transformer depth (sgm: the last level's); null: <see cref="TransformerDepth"/>.</summary>
    public int? MiddleTransformerDepth { get; init; }

    /// <summary>Width of the "adm" vector y added to the time embedding through label_emb (SDXL); 0: none.</summary>
    public long AdmInChannels { get; init; }

    public long TimeEmbedDim => ModelChannels * 4;

    public int ResBlocksAt(int level) => LevelResBlocks?[level] ?? NumResBlocks;

    public int DepthAt(int level) => LevelTransformerDepths?[level] ?? TransformerDepth;

    public int MiddleDepth => MiddleTransformerDepth ?? TransformerDepth;

    /// <summary>Heads and head width of an attention block with <paramref name="channels"/> channels.</summary>
    public (int Heads, long HeadDim) HeadsFor(long channels) => NumHeadChannels > 0
        ? ((int)(channels / NumHeadChannels), NumHeadChannels)
        : (NumHeads, channels / NumHeads);

    public static UnetConfig Infer(IReadOnlyDictionary<string, long[]> shapes, ArchOverrides overrides)
    {
        const string p = UnetPrefix;
        var first = Shape(shapes, p + "input_blocks.0.0.weight", "UNet input convolution");
        var (mc, inCh) = (first[0], first[1]);
        var outCh = Shape(shapes, p + "out.2.weight", "UNet output convolution")[0];
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
        $"UNet(ch {ModelChannels}, mult {string.Join(',', ChannelMult)}, {(LevelResBlocks is null ? NumResBlocks : string.Join(',', LevelResBlocks))} res blocks, attention at {string.Join(',', AttentionResolutions.Order())}, depth {(LevelTransformerDepths is null ? TransformerDepth : $"{string.Join(',', LevelTransformerDepths)} mid {MiddleDepth}")}, context {ContextDim}, heads {(NumHeadChannels > 0 ? $"{NumHeadChannels} ch each" : NumHeads)}{(AdmInChannels > 0 ? $", adm {AdmInChannels}" : "")})";
}
