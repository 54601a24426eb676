using ComfySnap.Diffusion.Models.StableDiffusion.Clip;
using ComfySnap.Diffusion.Models.StableDiffusion.Layers;
using ComfySnap.Diffusion.Models.StableDiffusion.Unet;
using ComfySnap.Diffusion.Models.StableDiffusion.Vae;
using static ComfySnap.Diffusion.Models.StableDiffusion.CheckpointLayout;

namespace ComfySnap.Diffusion.Models.StableDiffusion.Sdxl;

/// <summary>
/// A single-file SDXL base or refiner checkpoint, loaded: UNet (with its adm input), text encoders
/// (base: CLIP-L + OpenCLIP-G; refiner: OpenCLIP-G) and VAE over compute-ready weights
/// (<see cref="ComputeWeights"/>: float32, both text encoders rounded through float16 as ComfyUI
/// keeps them on CPU), sizes from the shapes, head counts from <see cref="ArchOverrides"/> (SDXL's
/// 64-wide heads by default). Shared read-only by every job.
/// </summary>
public sealed class SdxlCheckpoint : IPageableModel, IDisposable
{
    private readonly ComputeWeights _weights;

    private SdxlCheckpoint(string path, CheckpointFamily family, ComputeWeights weights, ArchOverrides arch, UnetModel unet, ClipTextModel? clipL, OpenClipTextModel clipG, AutoencoderKl vae, IReadOnlyList<string> ignoredKeys)
    {
        Path = path;
        Family = family;
        _weights = weights;
        Arch = arch;
        Unet = unet;
        ClipL = clipL;
        ClipG = clipG;
        Vae = vae;
        IgnoredKeys = ignoredKeys;
    }

    public string Path { get; }

    public CheckpointFamily Family { get; }

    public ArchOverrides Arch { get; }

    public UnetModel Unet { get; }

    /// <summary>CLIP-L (base only).</summary>
    public ClipTextModel? ClipL { get; }

    public OpenClipTextModel ClipG { get; }

    public string ClipGPrefix => Family == CheckpointFamily.SdxlRefiner ? SdxlLayout.RefinerClipGPrefix : SdxlLayout.ClipGPrefix;

    public AutoencoderKl Vae { get; }

    public IReadOnlyList<string> IgnoredKeys { get; }

    public string? ConversionNote => _weights.ConversionNote;

    public IReadOnlyList<string> MappedFiles => _weights.MappedFiles;

    public IReadOnlyDictionary<string, TorchSharp.torch.Tensor> Weights => _weights.Tensors;

    /// <summary>The adm vector this checkpoint's UNet takes.</summary>
    public IAdmEncoder Adm => Family == CheckpointFamily.SdxlRefiner
        ? new SdxlRefinerAdm(ClipG.Config.ProjectionDim)
        : new SdxlBaseAdm(ClipG.Config.ProjectionDim);

    /// <summary>Loads <paramref name="path"/> with its UNet computing in <paramref name="unetDtype"/> (float32 or bfloat16; the rest always float32).</summary>
    public static SdxlCheckpoint Load(string path, string? conversionDirectory, CheckpointFamily family, TorchSharp.torch.ScalarType unetDtype = TorchSharp.torch.ScalarType.Float32)
    {
        if (family == CheckpointFamily.Sd1)
        {
            throw new ArgumentException("an SD 1.x checkpoint is loaded by SdCheckpoint", nameof(family));
        }

        var clipG = family == CheckpointFamily.SdxlRefiner ? SdxlLayout.RefinerClipGPrefix : SdxlLayout.ClipGPrefix;
        bool IsText(string key) => key.StartsWith(clipG, StringComparison.Ordinal) || (family == CheckpointFamily.SdxlBase && key.StartsWith(SdxlLayout.ClipLPrefix, StringComparison.Ordinal));
        bool IsModel(string key) => !SdxlLayout.IsUnusedKey(key) && (key.StartsWith(UnetPrefix, StringComparison.Ordinal) || key.StartsWith(VaePrefix, StringComparison.Ordinal) || IsText(key));

        var arch = ArchOverrides.Resolve(path, MappedSafetensors.ReadMetadata(path));
        var weights = ComputeWeights.Open(path, conversionDirectory, IsModel, IsText, key => key, SdCheckpoint.InBfloat16(unetDtype));
        try
        {
            var shapes = weights.Tensors.ToDictionary(kv => kv.Key, kv => kv.Value.shape, StringComparer.Ordinal);
            var unetConfig = SdxlUnetConfig.Infer(shapes, arch);
            var vaeConfig = VaeConfig.Infer(shapes, VaePrefix);
            var clipGConfig = OpenClipTextConfig.Infer(shapes, clipG, arch);
            var clipLConfig = family == CheckpointFamily.SdxlBase
                ? ClipTextConfig.Infer(shapes, SdxlLayout.ClipLPrefix, arch with { ClipNumHeads = arch.ClipLNumHeads })
                : null;
            CheckWidths(unetConfig, clipLConfig, clipGConfig, family);
            var binder = new StateDictBinder(weights.Tensors, "SDXL model");
            var unet = new UnetModel(binder.Root(UnetPrefix), unetConfig);
            var vae = new AutoencoderKl(binder.Root(VaePrefix), vaeConfig);
            var clipLModel = clipLConfig is null ? null : new ClipTextModel(binder.Root(SdxlLayout.ClipLPrefix), clipLConfig);
            var clipGModel = new OpenClipTextModel(binder.Root(clipG), clipGConfig);
            var ignored = weights.Tensors.Keys.Where(k => !binder.Used.Contains(k)).Order(StringComparer.Ordinal).ToList();
            return new SdxlCheckpoint(path, family, weights, arch, unet, clipLModel, clipGModel, vae, ignored);
        }
        catch
        {
            weights.Dispose();
            throw;
        }
    }

    public long PageIn(CancellationToken cancellationToken) => MappedWeights.PageIn(_weights.Tensors.Values, cancellationToken);

    public void Dispose() => _weights.Dispose();

    public override string ToString() =>
        $"{System.IO.Path.GetFileName(Path)} ({Family}): {Unet.Config}, {Vae.Config}, {(ClipL is null ? "" : ClipL.Config + ", ")}{ClipG.Config}, heads from {Arch.Source}";

    /// <summary>The UNet's context and adm widths must be what the text encoders give (comfy/model_base.py).</summary>
    private static void CheckWidths(UnetConfig unet, ClipTextConfig? clipL, OpenClipTextConfig clipG, CheckpointFamily family)
    {
        var context = (clipL?.Hidden ?? 0) + clipG.Width;
        var adm = clipG.ProjectionDim + (family == CheckpointFamily.SdxlRefiner ? 5 : 6) * SdxlLayout.AdmEmbedDim;
        if (unet.ContextDim != context || unet.AdmInChannels != adm)
        {
            throw new InvalidDataException($"SDXL UNet context {unet.ContextDim} / adm {unet.AdmInChannels} do not fit its text encoders ({context} / {adm})");
        }
    }
}
