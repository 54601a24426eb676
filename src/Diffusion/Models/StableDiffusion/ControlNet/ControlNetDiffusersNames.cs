using ComfySnap.Diffusion.Models.StableDiffusion.Lora;
using ComfySnap.Diffusion.Models.StableDiffusion.Unet;
using static ComfySnap.Diffusion.Models.StableDiffusion.CheckpointLayout;

namespace ComfySnap.Diffusion.Models.StableDiffusion.ControlNet;

/// <summary>
/// diffusers' ControlNetModel names mapped to the original layout as ComfyUI's load_controlnet
/// does (comfy/controlnet.py with comfy/utils.py unet_to_diffusers): the UNet half by the UNet's
/// diffusers names; controlnet_down_blocks.N -> zero_convs.N.0; controlnet_mid_block ->
/// middle_block_out.0; controlnet_cond_embedding conv_in, blocks.J, conv_out -> input_hint_block
/// 0, 2(J+1), and the next even index; add_embedding (SDXL) -> label_emb.0.
/// </summary>
public static class ControlNetDiffusersNames
{
    private static readonly (string Diffusers, string Original)[] Extra =
    [
        ("controlnet_mid_block", "middle_block_out.0"),
        ("add_embedding.linear_1", "label_emb.0.0"),
        ("add_embedding.linear_2", "label_emb.0.2"),
        ("class_embedding.linear_1", "label_emb.0.0"),
        ("class_embedding.linear_2", "label_emb.0.2"),
    ];

    /// <summary>Original-layout key (no prefix) for each of <paramref name="keys"/> this mapping knows; the others are left out.</summary>
    public static IReadOnlyDictionary<string, string> Map(IReadOnlySet<string> keys)
    {
        var shapes = keys.ToDictionary(k => k, _ => Array.Empty<long>(), StringComparer.Ordinal);
        var names = Names(LayoutOf(keys), Indices(shapes, "", @"controlnet_down_blocks\.(\d+)\."), Indices(shapes, "", @"controlnet_cond_embedding\.blocks\.(\d+)\.").Count);
        var mapped = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var key in keys)
        {
            var dot = key.LastIndexOf('.');
            if (dot > 0 && names.TryGetValue(key[..dot], out var original))
            {
                mapped[key] = original + key[dot..];
            }
        }

        return mapped;
    }

    /// <summary>The diffusers key of each original-layout key (no prefix) of a ControlNet of <paramref name="config"/>: the inverse of <see cref="Map"/>.</summary>
    public static Func<string, string> ToDiffusers(ControlNetConfig config, int inputBlocks, int hintBlocks)
    {
        var inverse = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (diffusers, original) in Names(config.Unet, Enumerable.Range(0, inputBlocks), hintBlocks))
        {
            // add_embedding (SDXL's name) comes before class_embedding: the first name wins.
            inverse.TryAdd(original, diffusers);
        }

        return key =>
        {
            var dot = key.LastIndexOf('.');
            return inverse.TryGetValue(key[..dot], out var diffusers)
                ? diffusers + key[dot..]
                : throw new InvalidOperationException($"no diffusers name for ControlNet key '{key}'");
        };
    }

    /// <summary>diffusers module name -> original module name for the UNet half, the zero convolutions and the hint block.</summary>
    private static Dictionary<string, string> Names(UnetConfig unet, IEnumerable<int> zeroConvs, int hintBlocks)
    {
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (diffusers, original) in Extra)
        {
            names[diffusers] = original;
        }

        foreach (var (diffusers, original) in UnetDiffusersNames.For(unet))
        {
            names[diffusers] = original;
        }

        foreach (var n in zeroConvs)
        {
            names[$"controlnet_down_blocks.{n}"] = $"zero_convs.{n}.0";
        }

        names["controlnet_cond_embedding.conv_in"] = "input_hint_block.0";
        for (var j = 0; j < hintBlocks; j++)
        {
            names[$"controlnet_cond_embedding.blocks.{j}"] = $"input_hint_block.{2 * (j + 1)}";
        }

        names["controlnet_cond_embedding.conv_out"] = $"input_hint_block.{2 * (hintBlocks + 1)}";
        return names;
    }

    /// <summary>
    /// Just enough of a UNet config for the name mapping, read from the diffusers names: levels,
    /// res blocks per level, which levels have attention and the deepest transformer (used at
    /// every level: names of blocks the file lacks map to nothing).
    /// </summary>
    private static UnetConfig LayoutOf(IReadOnlySet<string> keys)
    {
        var shapes = keys.ToDictionary(k => k, _ => Array.Empty<long>(), StringComparer.Ordinal);
        var levels = Indices(shapes, "", @"down_blocks\.(\d+)\.");
        if (levels.Count == 0)
        {
            throw new InvalidDataException("diffusers ControlNet without down_blocks");
        }

        var resBlocks = levels.Select(l => Indices(shapes, $"down_blocks.{l}.", @"resnets\.(\d+)\.").Count).ToList();
        var attention = levels.Where(l => keys.Contains($"down_blocks.{l}.attentions.0.proj_in.weight")).Select(l => 1 << l).ToHashSet();
        var depth = Indices(shapes, "", @"(?:down_blocks\.\d+\.attentions\.\d+|mid_block\.attentions\.0)\.transformer_blocks\.(\d+)\.").DefaultIfEmpty(0).Max() + 1;
        return new UnetConfig(4, 4, 1, resBlocks.Max(), [.. levels.Select(_ => 1L)], attention, depth, 1, 1, -1, false) { LevelResBlocks = resBlocks };
    }
}
