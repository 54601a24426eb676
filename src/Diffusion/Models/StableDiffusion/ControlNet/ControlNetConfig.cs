using ComfySnap.Diffusion.Models.StableDiffusion.Sdxl;
using ComfySnap.Diffusion.Models.StableDiffusion.Unet;
using static ComfySnap.Diffusion.Models.StableDiffusion.CheckpointLayout;

namespace ComfySnap.Diffusion.Models.StableDiffusion.ControlNet;

/// <summary>
/// A ControlNet's sizes: the UNet it copies the way down of (read from the shapes as a UNet's:
/// SD 1.x, or SDXL when it has a label embedding) and the channels of the control image its hint
/// block takes.
/// </summary>
public sealed record ControlNetConfig(UnetConfig Unet, long HintChannels)
{
    /// <summary>The sizes of the ControlNet whose original-layout keys start with <paramref name="prefix"/>.</summary>
    public static ControlNetConfig Infer(IReadOnlyDictionary<string, long[]> shapes, ArchOverrides overrides, string prefix)
    {
        // Read as a UNet's keys, with the output convolution a ControlNet lacks (latent channels out, as in).
        var asUnet = shapes.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal))
            .ToDictionary(kv => UnetPrefix + kv.Key[prefix.Length..], kv => kv.Value, StringComparer.Ordinal);
        var first = Shape(asUnet, UnetPrefix + "input_blocks.0.0.weight", "ControlNet input convolution");
        asUnet[UnetPrefix + "out.2.weight"] = [first[1], first[0], 3, 3];
        var unet = asUnet.ContainsKey(SdxlLayout.LabelEmbeddingKey) ? SdxlUnetConfig.Infer(asUnet, overrides) : UnetConfig.Infer(asUnet, overrides);
        var hint = Shape(shapes, prefix + "input_hint_block.0.weight", "ControlNet hint block")[1];
        return new ControlNetConfig(unet, hint);
    }

    public override string ToString() => $"ControlNet(hint {HintChannels} ch, {Unet})";
}
