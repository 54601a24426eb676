using ComfySnap.Diffusion.Models.StableDiffusion.ControlNet;
using ComfySnap.Diffusion.Models.StableDiffusion.Layers;

namespace ComfySnap.Diffusion.Models.StableDiffusion.Generation;

/// <summary>
/// Architectures for random-weight ControlNets, each the copy of a checkpoint preset's UNet with a
/// 3-channel hint, in the key layout such ControlNets are published in: lllyasviel's
/// (control_model.*) for SD 1.x, diffusers' for SDXL.
/// </summary>
public sealed record ControlNetPreset(string Name, ControlNetConfig Config, string DefaultDType, ControlNetKeyLayout KeyLayout = ControlNetKeyLayout.OriginalPrefixed) : IRandomCheckpointPreset
{
    /// <summary>The prefix of ControlNet preset names.</summary>
    public const string NamePrefix = "controlnet-";

    public static readonly ControlNetPreset Tiny = For(CheckpointPreset.Tiny);

    public static readonly ControlNetPreset Small = For(CheckpointPreset.Small);

    /// <summary>ControlNet 1.x for SD 1.5's sizes (361.3 M parameters).</summary>
    public static readonly ControlNetPreset Sd15Full = For(CheckpointPreset.Sd15Full);

    /// <summary>For sdxl-tiny's UNet, in diffusers' layout.</summary>
    public static readonly ControlNetPreset SdxlTiny = For(SdxlCheckpointPreset.Tiny.Name, SdxlCheckpointPreset.Tiny.Unet, SdxlCheckpointPreset.Tiny.DefaultDType, ControlNetKeyLayout.Diffusers);

    public static IReadOnlyList<ControlNetPreset> All { get; } = [Tiny, Small, Sd15Full, SdxlTiny];

    public static ControlNetPreset Named(string name) =>
        All.FirstOrDefault(p => p.Name == name)
        ?? throw new ArgumentException($"unknown ControlNet preset '{name}' (known: {string.Join(", ", All.Select(p => p.Name))})", nameof(name));

    public IReadOnlyList<WeightRequest> Layout() => RandomControlNet.Layout(this);

    public SortedDictionary<string, object> ArchSections() => new(StringComparer.Ordinal)
    {
        ["unet"] = Config.Unet.NumHeadChannels > 0 ? new { num_head_channels = Config.Unet.NumHeadChannels } : (object)new { num_heads = Config.Unet.NumHeads },
    };

    private static ControlNetPreset For(CheckpointPreset checkpoint) => For(checkpoint.Name, checkpoint.Unet, checkpoint.DefaultDType, ControlNetKeyLayout.OriginalPrefixed);

    private static ControlNetPreset For(string checkpoint, Unet.UnetConfig unet, string dtype, ControlNetKeyLayout layout) =>
        new(NamePrefix + checkpoint, new ControlNetConfig(unet, 3), dtype, layout);
}
