using ComfySnap.Diffusion.Models.StableDiffusion.ControlNet;

namespace ComfySnap.Diffusion.Models.StableDiffusion.Generation;

/// <summary>Architectures for random-weight ControlNets, each the copy of a checkpoint preset's UNet with a 3-channel hint.</summary>
public sealed record ControlNetPreset(string Name, ControlNetConfig Config, string DefaultDType)
{
    /// <summary>The prefix of ControlNet preset names, so make-checkpoint can tell them from checkpoint presets.</summary>
    public const string NamePrefix = "controlnet-";

    public static readonly ControlNetPreset Tiny = For(CheckpointPreset.Tiny);

    public static readonly ControlNetPreset Small = For(CheckpointPreset.Small);

    /// <summary>ControlNet 1.x for SD 1.5's sizes (361.3 M parameters).</summary>
    public static readonly ControlNetPreset Sd15Full = For(CheckpointPreset.Sd15Full);

    public static IReadOnlyList<ControlNetPreset> All { get; } = [Tiny, Small, Sd15Full];

    public static bool IsControlNet(string name) => name.StartsWith(NamePrefix, StringComparison.Ordinal);

    public static ControlNetPreset Named(string name) =>
        All.FirstOrDefault(p => p.Name == name)
        ?? throw new ArgumentException($"unknown ControlNet preset '{name}' (known: {string.Join(", ", All.Select(p => p.Name))})", nameof(name));

    private static ControlNetPreset For(CheckpointPreset checkpoint) =>
        new(NamePrefix + checkpoint.Name, new ControlNetConfig(checkpoint.Unet, 3), checkpoint.DefaultDType);
}
