using ComfySnap.Diffusion.Models.StableDiffusion.Clip;
using ComfySnap.Diffusion.Models.StableDiffusion.Layers;
using ComfySnap.Diffusion.Models.StableDiffusion.Unet;
using ComfySnap.Diffusion.Models.StableDiffusion.Vae;
using static ComfySnap.Diffusion.Models.StableDiffusion.CheckpointLayout;

namespace ComfySnap.Diffusion.Models.StableDiffusion;

/// <summary>
/// A single-file SD 1.x checkpoint, loaded: UNet, CLIP text encoder and VAE built over its
/// compute-ready weights (<see cref="ComputeWeights"/>), sizes inferred from the shapes, head
/// counts from <see cref="ArchOverrides"/>. Keys the models do not use (EMA copies, schedule
/// buffers, position ids) are ignored and counted. Shared read-only by every job.
/// </summary>
public sealed class SdCheckpoint : IPageableModel, IDisposable
{
    private readonly ComputeWeights _weights;

    private SdCheckpoint(string path, ComputeWeights weights, ArchOverrides arch, UnetModel unet, ClipTextModel clip, AutoencoderKl vae, IReadOnlyList<string> ignoredKeys)
    {
        Path = path;
        _weights = weights;
        Arch = arch;
        Unet = unet;
        Clip = clip;
        Vae = vae;
        IgnoredKeys = ignoredKeys;
    }

    public string Path { get; }

    public ArchOverrides Arch { get; }

    public UnetModel Unet { get; }

    public ClipTextModel Clip { get; }

    public AutoencoderKl Vae { get; }

    /// <summary>Checkpoint keys no model used.</summary>
    public IReadOnlyList<string> IgnoredKeys { get; }

    /// <summary>Why converted weights are private copies instead of a mapped side file (null when mapped).</summary>
    public string? ConversionNote => _weights.ConversionNote;

    public IReadOnlyList<string> MappedFiles => _weights.MappedFiles;

    /// <summary>The compute-ready tensors by checkpoint key (LoRA patches start from these).</summary>
    public IReadOnlyDictionary<string, TorchSharp.torch.Tensor> Weights => _weights.Tensors;

    /// <summary>Loads <paramref name="path"/> with its UNet computing in <paramref name="unetDtype"/> (float32 or bfloat16; the rest always float32).</summary>
    public static SdCheckpoint Load(string path, string? conversionDirectory, TorchSharp.torch.ScalarType unetDtype = TorchSharp.torch.ScalarType.Float32)
    {
        if (!path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase) && !path.EndsWith(".sft", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidDataException($"'{System.IO.Path.GetFileName(path)}': only .safetensors checkpoints are supported (convert .ckpt files first)");
        }

        var metadata = MappedSafetensors.ReadMetadata(path);
        var arch = ArchOverrides.Resolve(path, metadata);
        var weights = ComputeWeights.Open(path, conversionDirectory, IsModelKey, key => key.StartsWith(ClipPrefix, StringComparison.Ordinal), RenameLegacyClipKey, InBfloat16(unetDtype));
        try
        {
            var shapes = weights.Tensors.ToDictionary(kv => kv.Key, kv => kv.Value.shape, StringComparer.Ordinal);
            var unetConfig = UnetConfig.Infer(shapes, arch);
            var vaeConfig = VaeConfig.Infer(shapes, VaePrefix);
            var clipConfig = ClipTextConfig.Infer(shapes, ClipPrefix, arch);
            var binder = new StateDictBinder(weights.Tensors, "SD 1.x model");
            var unet = new UnetModel(binder.Root(UnetPrefix), unetConfig);
            var vae = new AutoencoderKl(binder.Root(VaePrefix), vaeConfig);
            var clip = new ClipTextModel(binder.Root(ClipPrefix), clipConfig);
            var ignored = weights.Tensors.Keys.Where(k => !binder.Used.Contains(k)).Order(StringComparer.Ordinal).ToList();
            return new SdCheckpoint(path, weights, arch, unet, clip, vae, ignored);
        }
        catch
        {
            weights.Dispose();
            throw;
        }
    }

    public long PageIn(CancellationToken cancellationToken) => MappedWeights.PageIn(_weights.Tensors.Values, cancellationToken);

    public void Dispose() => _weights.Dispose();

    public override string ToString() => $"{System.IO.Path.GetFileName(Path)}: {Unet.Config}, {Vae.Config}, {Clip.Config}, heads from {Arch.Source}";

    /// <summary>Which weights compute in bfloat16 for <paramref name="unetDtype"/>: the UNet's, or none.</summary>
    internal static Func<string, bool>? InBfloat16(TorchSharp.torch.ScalarType unetDtype) =>
        UnetDtype.NameOf(unetDtype) == UnetDtype.Bf16 ? key => key.StartsWith(UnetPrefix, StringComparison.Ordinal) : null;

    private static bool IsModelKey(string key) =>
        key.StartsWith(UnetPrefix, StringComparison.Ordinal) || key.StartsWith(VaePrefix, StringComparison.Ordinal) || key.StartsWith(ClipPrefix, StringComparison.Ordinal);

    /// <summary>ComfyUI's SD15 rename: "cond_stage_model.transformer.X" without "text_model." is the text model.</summary>
    private static string RenameLegacyClipKey(string key) =>
        key.StartsWith(ClipLegacyPrefix, StringComparison.Ordinal) && !key.StartsWith(ClipPrefix, StringComparison.Ordinal)
            ? ClipPrefix + key[ClipLegacyPrefix.Length..]
            : key;
}
