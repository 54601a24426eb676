namespace ComfySnap.Diffusion.Models;

/// <summary>Model roots and the preload list. Bound from the "Models" configuration section.</summary>
public sealed class ModelStoreOptions
{
    public const string SectionName = "Models";

    /// <summary>Folder holding one sub-folder per model kind (checkpoints, upscale_models, ...).</summary>
    public string BaseDirectory { get; set; } = "models";

    /// <summary>Explicit roots per kind; a kind not listed lives in BaseDirectory/kind.</summary>
    public Dictionary<string, string> Roots { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Where weights converted to their compute dtype are written once and then mapped (fp16/bf16
    /// checkpoints to fp32, CLIP rounded through fp16). Empty: BaseDirectory/.converted. A folder
    /// that cannot be written means private in-memory copies (logged).
    /// </summary>
    public string ConvertedDirectory { get; set; } = "";

    public string ResolvedConvertedDirectory => Path.GetFullPath(ConvertedDirectory is { Length: > 0 } dir ? dir : Path.Combine(BaseDirectory, ".converted"));

    /// <summary>
    /// The dtype the UNet and ControlNets compute in: "fp32" (the default: ComfyUI's CPU pixels) or
    /// "bf16" (ComfyUI's --bf16-unet: the UNet's weights converted once to bfloat16, half the
    /// memory, faster on CPUs with AVX-512 BF16; images differ slightly). See docs/stable-diffusion.md.
    /// </summary>
    public string UnetDtype { get; set; } = Models.UnetDtype.Fp32;

    /// <summary>The torch dtype of <see cref="UnetDtype"/> (validated at start).</summary>
    public TorchSharp.torch.ScalarType ResolvedUnetDtype => Models.UnetDtype.Parse(UnetDtype);

    /// <summary>
    /// Bytes of model files one worker keeps loaded (file sizes); past it the least recently used
    /// model no running job needs is unloaded before another loads. 0: no bound.
    /// </summary>
    public long MemoryBudget { get; set; }

    /// <summary>Models named by pinned URL: where they are cached and the download's limits.</summary>
    public ModelDownloadOptions Download { get; set; } = new();

    public string ResolvedDownloadCacheDirectory => Download.ResolvedCacheDirectory(BaseDirectory);

    /// <summary>Models loaded to CPU memory at boot, as "kind/name" (e.g. "upscale_models/x4.pth").</summary>
    public List<string> Preload { get; set; } = [];

    /// <summary>
    /// Image sizes ("512", "512x768") each preloaded checkpoint renders one step at during boot
    /// (and so in a snapshot): oneDNN chooses and caches its kernels per tensor shape, and the
    /// allocator grows to that size's working set, so the first job at a warmed size runs at the
    /// steady speed. Empty: one 64x64 render (every kernel loaded, the shapes of no real job).
    /// </summary>
    public List<string> WarmupSizes { get; set; } = [];
}
