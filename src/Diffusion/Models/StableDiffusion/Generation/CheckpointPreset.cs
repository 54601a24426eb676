using ComfySnap.Diffusion.Models.StableDiffusion.Clip;
using ComfySnap.Diffusion.Models.StableDiffusion.Unet;
using ComfySnap.Diffusion.Models.StableDiffusion.Vae;

namespace ComfySnap.Diffusion.Models.StableDiffusion.Generation;

/// <summary>Architectures for random-weight checkpoints in the real SD 1.x layout (the same presets as the reference's generator).</summary>
public sealed record CheckpointPreset(string Name, UnetConfig Unet, VaeConfig Vae, ClipTextConfig Clip, string DefaultDType) : IRandomCheckpointPreset
{
    private const long Vocab = 49408;
    private const long Positions = 77;

    // The tiny VAE keeps four levels: SD pipelines assume latents are 1/8 of the image.
    public static readonly CheckpointPreset Tiny = new(
        "tiny",
        new UnetConfig(4, 4, 32, 1, [1, 2], new HashSet<int> { 2 }, 1, 64, 2, -1, false),
        new VaeConfig(32, [1, 2, 2, 2], 1, 3, 3, 4, 4),
        new ClipTextConfig(Vocab, 64, Positions, 2, 256, 2),
        "fp32");

    public static readonly CheckpointPreset Small = new(
        "small",
        new UnetConfig(4, 4, 32, 2, [1, 2, 4], new HashSet<int> { 2, 4 }, 1, 128, 4, -1, false),
        new VaeConfig(32, [1, 2, 2, 2], 2, 3, 3, 4, 4),
        new ClipTextConfig(Vocab, 128, Positions, 3, 512, 4),
        "fp32");

    /// <summary>Stable Diffusion 1.5's sizes (859.5 M UNet, 83.7 M VAE, 123.1 M CLIP parameters).</summary>
    public static readonly CheckpointPreset Sd15Full = new(
        "sd15-full",
        new UnetConfig(4, 4, 320, 2, [1, 2, 4, 4], new HashSet<int> { 1, 2, 4 }, 1, 768, 8, -1, false),
        new VaeConfig(128, [1, 2, 4, 4], 2, 3, 3, 4, 4),
        new ClipTextConfig(Vocab, 768, Positions, 12, 3072, 12),
        "fp16");

    public static IReadOnlyList<CheckpointPreset> All { get; } = [Tiny, Small, Sd15Full];

    public static CheckpointPreset Named(string name) =>
        All.FirstOrDefault(p => p.Name == name)
        ?? throw new ArgumentException($"unknown checkpoint preset '{name}' (known: {string.Join(", ", All.Select(p => p.Name))})", nameof(name));

    /// <summary>Any family's preset by name: SD 1.x or SDXL.</summary>
    public static IRandomCheckpointPreset AnyNamed(string name)
    {
        IEnumerable<IRandomCheckpointPreset> all = [.. All, .. SdxlCheckpointPreset.All, .. ControlNetPreset.All];
        return all.FirstOrDefault(p => p.Name == name)
            ?? throw new ArgumentException($"unknown checkpoint preset '{name}' (known: {string.Join(", ", all.Select(p => p.Name))})", nameof(name));
    }

    public IReadOnlyList<Layers.WeightRequest> Layout() => RandomCheckpoint.Layout(this);

    public SortedDictionary<string, object> ArchSections() => new(StringComparer.Ordinal)
    {
        ["clip"] = new { num_heads = Clip.Heads },
        ["unet"] = new { num_heads = Unet.NumHeads },
    };
}
