using ComfySnap.Diffusion.Models.StableDiffusion.Clip;
using ComfySnap.Diffusion.Models.StableDiffusion.Layers;
using ComfySnap.Diffusion.Models.StableDiffusion.Sdxl;
using ComfySnap.Diffusion.Models.StableDiffusion.Unet;
using ComfySnap.Diffusion.Models.StableDiffusion.Vae;
using static ComfySnap.Diffusion.Models.StableDiffusion.CheckpointLayout;

namespace ComfySnap.Diffusion.Models.StableDiffusion.Generation;

/// <summary>
/// SDXL architectures for random-weight checkpoints in the real single-file layouts: base (CLIP-L
/// + OpenCLIP-G) or refiner (<see cref="ClipL"/> null: OpenCLIP-G alone as embedder 0). sdxl-tiny
/// and sdxl-full are the reference generator's presets (same tensors for the same seed).
/// </summary>
public sealed record SdxlCheckpointPreset(string Name, UnetConfig Unet, VaeConfig Vae, ClipTextConfig? ClipL, OpenClipTextConfig ClipG, string DefaultDType) : IRandomCheckpointPreset
{
    private const long Vocab = 49408;
    private const long Positions = 77;
    private const int Adm = SdxlLayout.AdmEmbedDim;

    /// <summary>SDXL's structure scaled down (the reference's sdxl-tiny): context 32 + 48, adm 48 + 6*256.</summary>
    public static readonly SdxlCheckpointPreset Tiny = new(
        "sdxl-tiny",
        SgmUnet(32, [1, 2, 2], [0, 1, 2], 32 + 48, 16, 48 + 6 * Adm),
        new VaeConfig(32, [1, 2, 2, 2], 1, 3, 3, 4, 4),
        new ClipTextConfig(Vocab, 32, Positions, 3, 128, 2),
        new OpenClipTextConfig(Vocab, 48, Positions, 3, 192, 3, 48),
        "fp32");

    /// <summary>A few times tiny, for timings that mean something on CPU.</summary>
    public static readonly SdxlCheckpointPreset Small = new(
        "sdxl-small",
        SgmUnet(64, [1, 2, 4], [0, 1, 2], 64 + 128, 32, 128 + 6 * Adm),
        new VaeConfig(32, [1, 2, 2, 2], 2, 3, 3, 4, 4),
        new ClipTextConfig(Vocab, 64, Positions, 4, 256, 2),
        new OpenClipTextConfig(Vocab, 128, Positions, 4, 512, 2, 128),
        "fp32");

    /// <summary>SDXL base 1.0's sizes (2,567.5 M UNet, 83.7 M VAE, 123.1 M CLIP-L, 694.7 M CLIP-G parameters).</summary>
    public static readonly SdxlCheckpointPreset Full = new(
        "sdxl-full",
        SgmUnet(320, [1, 2, 4], [0, 2, 10], 2048, 64, 2816),
        new VaeConfig(128, [1, 2, 4, 4], 2, 3, 3, 4, 4),
        new ClipTextConfig(Vocab, 768, Positions, 12, 3072, 12),
        new OpenClipTextConfig(Vocab, 1280, Positions, 32, 5120, 20, 1280),
        "fp16");

    /// <summary>The refiner's structure scaled down: context 48 (CLIP-G alone), adm 48 + 5*256.</summary>
    public static readonly SdxlCheckpointPreset RefinerTiny = new(
        "sdxl-refiner-tiny",
        SgmUnet(32, [1, 2, 2], [0, 1, 1], 48, 16, 48 + 5 * Adm),
        new VaeConfig(32, [1, 2, 2, 2], 1, 3, 3, 4, 4),
        null,
        new OpenClipTextConfig(Vocab, 48, Positions, 3, 192, 3, 48),
        "fp32");

    /// <summary>SDXL refiner 1.0's layout (sd_xl_refiner.yaml: 384 channels, 4 levels, depth 4 at levels 1-2, context 1280, adm 2560).</summary>
    public static readonly SdxlCheckpointPreset RefinerFull = new(
        "sdxl-refiner-full",
        SgmUnet(384, [1, 2, 4, 4], [0, 4, 4, 0], 1280, 64, 2560),
        new VaeConfig(128, [1, 2, 4, 4], 2, 3, 3, 4, 4),
        null,
        new OpenClipTextConfig(Vocab, 1280, Positions, 32, 5120, 20, 1280),
        "fp16");

    public static IReadOnlyList<SdxlCheckpointPreset> All { get; } = [Tiny, Small, Full, RefinerTiny, RefinerFull];

    public bool IsRefiner => ClipL is null;

    public string ClipGPrefix => IsRefiner ? SdxlLayout.RefinerClipGPrefix : SdxlLayout.ClipGPrefix;

    public IReadOnlyList<WeightRequest> Layout()
    {
        using var recorder = new ShapeRecorder();
        _ = new UnetModel(recorder.Root(UnetPrefix), Unet);
        _ = new AutoencoderKl(recorder.Root(VaePrefix), Vae);
        if (ClipL is not null)
        {
            _ = new ClipTextModel(recorder.Root(SdxlLayout.ClipLPrefix), ClipL);
        }

        _ = new OpenClipTextModel(recorder.Root(ClipGPrefix), ClipG);
        return [.. recorder.Requests.OrderBy(r => r.Key, StringComparer.Ordinal)];
    }

    public SortedDictionary<string, object> ArchSections()
    {
        var sections = new SortedDictionary<string, object>(StringComparer.Ordinal)
        {
            ["clip_g"] = new { num_heads = ClipG.Heads },
            ["unet"] = new { num_head_channels = Unet.NumHeadChannels },
        };
        if (ClipL is not null)
        {
            sections["clip_l"] = new { num_heads = ClipL.Heads };
        }

        return sections;
    }

    /// <summary>An sgm UNet: 2 res blocks per level, attention where the depth is above 0, the middle at the last level's depth (or the deepest).</summary>
    public static UnetConfig SgmUnet(long channels, long[] mult, int[] depths, long context, long headChannels, long adm)
    {
        var attention = Enumerable.Range(0, depths.Length).Where(l => depths[l] > 0).Select(l => 1 << l).ToHashSet();
        var middle = depths[^1] > 0 ? depths[^1] : depths.Max();
        return new UnetConfig(4, 4, channels, 2, mult, attention, middle, context, -1, headChannels, LinearProjection: true)
        {
            LevelTransformerDepths = depths,
            MiddleTransformerDepth = middle,
            AdmInChannels = adm,
        };
    }
}
