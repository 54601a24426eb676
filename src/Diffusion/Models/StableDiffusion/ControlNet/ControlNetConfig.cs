using ComfySnap.Diffusion.Models.StableDiffusion.Unet;
using static ComfySnap.Diffusion.Models.StableDiffusion.CheckpointLayout;

namespace ComfySnap.Diffusion.Models.StableDiffusion.ControlNet;

/// <summary>
/// A ControlNet's sizes: the UNet it copies the way down of (read from the shapes as for a UNet)
/// and the channels of the control image its hint block takes.
/// </summary>
public sealed record ControlNetConfig(UnetConfig Unet, long HintChannels)
{
    /// <summary>The sizes of the ControlNet whose original-layout keys start with <paramref name="prefix"/>.</summary>
    public static ControlNetConfig Infer(IReadOnlyDictionary<string, long[]> shapes, ArchOverrides overrides, string prefix)
    {
        var unet = UnetConfig.Infer(shapes, overrides, prefix);
        var hint = Shape(shapes, prefix + "input_hint_block.0.weight", "ControlNet hint block")[1];
        return new ControlNetConfig(unet, hint);
    }

    public override string ToString() => $"ControlNet(hint {HintChannels} ch, {Unet})";
}
