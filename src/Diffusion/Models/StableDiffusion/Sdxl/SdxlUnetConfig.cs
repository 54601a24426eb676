using ComfySnap.Diffusion.Models.StableDiffusion.Unet;
using static ComfySnap.Diffusion.Models.StableDiffusion.CheckpointLayout;

namespace ComfySnap.Diffusion.Models.StableDiffusion.Sdxl;

/// <summary>
/// An SDXL UNet's sizes from its shapes (sgm UNetModel): per level the res block count, the
/// channel multiplier and the transformer depth (0 where a level has no attention), the middle
/// depth, the adm width from label_emb, linear or 1x1-conv projections. Heads: 64-channel heads
/// (SDXL's) unless the arch overrides say otherwise.
/// </summary>
public static class SdxlUnetConfig
{
    public const long DefaultHeadChannels = 64;

    public static UnetConfig Infer(IReadOnlyDictionary<string, long[]> shapes, ArchOverrides overrides)
    {
        const string p = UnetPrefix;
        var first = Shape(shapes, p + "input_blocks.0.0.weight", "UNet input convolution");
        var (mc, inCh) = (first[0], first[1]);
        var outCh = Shape(shapes, p + "out.2.weight", "UNet output convolution")[0];
        var inputBlocks = Indices(shapes, p, @"input_blocks\.(\d+)\.").Max + 1;
        var level = 0;
        var mults = new List<long>();
        var resBlocks = new List<int>();
        var depths = new Dictionary<int, int>();
        var contexts = new HashSet<long>();
        var linear = new HashSet<bool>();
        for (var i = 1; i < inputBlocks; i++)
        {
            if (shapes.ContainsKey($"{p}input_blocks.{i}.0.op.weight"))
            {
                level++;
                continue;
            }

            if (mults.Count <= level)
            {
                mults.Add(Shape(shapes, $"{p}input_blocks.{i}.0.in_layers.2.weight", "UNet res block")[0] / mc);
                resBlocks.Add(0);
            }

            resBlocks[level]++;
            if (shapes.TryGetValue($"{p}input_blocks.{i}.1.proj_in.weight", out var projIn))
            {
                var depth = Indices(shapes, $"{p}input_blocks.{i}.1.", @"transformer_blocks\.(\d+)\.").Count;
                if (depths.TryGetValue(level, out var seen) && seen != depth)
                {
                    throw new InvalidDataException($"not an SDXL UNet: transformer depths differ within level {level}");
                }

                depths[level] = depth;
                contexts.Add(Shape(shapes, $"{p}input_blocks.{i}.1.transformer_blocks.0.attn2.to_k.weight", "cross-attention")[1]);
                linear.Add(projIn.Length == 2);
            }
        }

        var middleDepth = Indices(shapes, p + "middle_block.1.", @"transformer_blocks\.(\d+)\.").Count;
        if (middleDepth == 0)
        {
            throw new InvalidDataException("not an SDXL UNet: no transformer in the middle block");
        }

        contexts.Add(Shape(shapes, p + "middle_block.1.transformer_blocks.0.attn2.to_k.weight", "cross-attention")[1]);
        linear.Add(Shape(shapes, p + "middle_block.1.proj_in.weight", "middle block projection").Length == 2);
        if (contexts.Count != 1 || linear.Count != 1)
        {
            throw new InvalidDataException($"not an SDXL UNet: context widths ({string.Join(", ", contexts)}) or projection kinds differ between blocks");
        }

        var adm = Shape(shapes, SdxlLayout.LabelEmbeddingKey, "label embedding")[1];
        var headChannels = overrides.UnetNumHeads is null ? overrides.UnetNumHeadChannels ?? DefaultHeadChannels : -1;
        return new UnetConfig(inCh, outCh, mc, resBlocks.Max(), mults, depths.Keys.Select(l => 1 << l).ToHashSet(), middleDepth,
            contexts.Single(), overrides.UnetNumHeads ?? -1, headChannels, linear.Single())
        {
            LevelResBlocks = resBlocks,
            LevelTransformerDepths = [.. Enumerable.Range(0, mults.Count).Select(l => depths.GetValueOrDefault(l))],
            MiddleTransformerDepth = middleDepth,
            AdmInChannels = adm,
        };
    }
}
