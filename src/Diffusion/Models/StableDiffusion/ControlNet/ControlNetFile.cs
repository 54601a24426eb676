using ComfySnap.Diffusion.Models.StableDiffusion.Layers;
using TorchSharp;

namespace ComfySnap.Diffusion.Models.StableDiffusion.ControlNet;

/// <summary>
/// A ControlNet file ("controlnet", ComfyUI's CONTROL_NET), loaded once and shared by every job:
/// the model over its weights in float32 (ComfyUI's CPU dtype), sizes inferred from the shapes,
/// head counts as for checkpoints (<see cref="ArchOverrides"/>). Safetensors files are mapped,
/// with converted weights in a side file (<see cref="ComputeWeights"/>); .pth files are read.
/// </summary>
public sealed class ControlNetFile : IPageableModel, IDisposable
{
    private readonly IReadOnlyDictionary<string, torch.Tensor> _tensors;
    private readonly IDisposable _owner;

    private ControlNetFile(string name, ControlNetKeyLayout layout, ControlNetModel model, IReadOnlyDictionary<string, torch.Tensor> tensors, IDisposable owner, IReadOnlyList<string> mappedFiles, int ignoredKeys)
    {
        Name = name;
        Layout = layout;
        Model = model;
        _tensors = tensors;
        _owner = owner;
        MappedFiles = mappedFiles;
        IgnoredKeys = ignoredKeys;
        // ComfyUI's rule (comfy/controlnet.py): shuffle ControlNets average each residual over the image.
        var stem = Path.GetFileNameWithoutExtension(name);
        GlobalAveragePooling = stem.EndsWith("_shuffle", StringComparison.Ordinal) || stem.EndsWith("_shuffle_fp16", StringComparison.Ordinal);
    }

    /// <summary>The file name, for messages.</summary>
    public string Name { get; }

    public ControlNetKeyLayout Layout { get; }

    public ControlNetModel Model { get; }

    /// <summary>Whether each residual is replaced by its mean over the image (files named *_shuffle).</summary>
    public bool GlobalAveragePooling { get; }

    /// <summary>Keys of the file the model did not use (ComfyUI ignores them too).</summary>
    public int IgnoredKeys { get; }

    public IReadOnlyList<string> MappedFiles { get; }

    /// <summary>
    /// Loads <paramref name="path"/>, computing in <paramref name="dtype"/> (the UNet's, as ComfyUI
    /// loads ControlNets in the UNet's dtype). .safetensors files only: other formats compute in
    /// float32 and their residuals are converted when added.
    /// </summary>
    public static ControlNetFile Load(string path, string? conversionDirectory, TorchSharp.torch.ScalarType dtype = TorchSharp.torch.ScalarType.Float32)
    {
        var name = Path.GetFileName(path);
        var metadata = StateDictLoader.IsSafetensors(path) ? MappedSafetensors.ReadMetadata(path) : new Dictionary<string, string>();
        var arch = ArchOverrides.Resolve(path, metadata);
        if (StateDictLoader.IsSafetensors(path))
        {
            var (layout, rename) = Names(SafetensorsKeys(path), name);
            var prefix = layout == ControlNetKeyLayout.OriginalPrefixed ? ControlNetLayout.OriginalPrefix : "";
            Func<string, bool>? inBfloat16 = UnetDtype.NameOf(dtype) == UnetDtype.Bf16 ? _ => true : null;
            var weights = ComputeWeights.Open(path, conversionDirectory, key => key.StartsWith(prefix, StringComparison.Ordinal), _ => false, rename, inBfloat16);
            try
            {
                return Build(name, layout, arch, weights.Tensors, weights, weights.MappedFiles);
            }
            catch
            {
                weights.Dispose();
                throw;
            }
        }

#pragma warning disable CA2000 // disposed below unless the ControlNetFile takes it over
        var state = StateDictLoader.Load(path);
#pragma warning restore CA2000
        try
        {
            var (layout, rename) = Names(state.Tensors.Keys.ToHashSet(StringComparer.Ordinal), name);
            var renamed = state.Tensors.ToDictionary(kv => rename(kv.Key), kv => kv.Value.DetachFromDisposeScope(), StringComparer.Ordinal);
            return Build(name, layout, arch, renamed, state, []);
        }
        catch
        {
            state.Dispose();
            throw;
        }
    }

    public long PageIn(CancellationToken cancellationToken) =>
        MappedFiles.Count == 0 ? 0 : MappedWeights.PageIn(_tensors.Values, cancellationToken);

    public void Dispose() => _owner.Dispose();

    public override string ToString() => $"{Name}: {Model.Config} ({Layout} layout)";

    /// <summary>The model over <paramref name="tensors"/>, which <paramref name="owner"/> frees (the caller does if this throws).</summary>
    private static ControlNetFile Build(string name, ControlNetKeyLayout layout, ArchOverrides arch, IReadOnlyDictionary<string, torch.Tensor> tensors, IDisposable owner, IReadOnlyList<string> mappedFiles)
    {
        var prefix = layout == ControlNetKeyLayout.OriginalPrefixed ? ControlNetLayout.OriginalPrefix : "";
        var shapes = tensors.ToDictionary(kv => kv.Key, kv => kv.Value.shape, StringComparer.Ordinal);
        ControlNetConfig config;
        try
        {
            config = ControlNetConfig.Infer(shapes, arch, prefix);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"ControlNet '{name}': {e.Message}", e);
        }

        var binder = new StateDictBinder(tensors, $"ControlNet '{name}'");
        var model = new ControlNetModel(binder.Root(prefix), config);
        return new ControlNetFile(name, layout, model, tensors, owner, mappedFiles, tensors.Count - binder.Used.Count);
    }

    /// <summary>The file's layout and how its keys read in the original layout.</summary>
    private static (ControlNetKeyLayout Layout, Func<string, string> Rename) Names(IReadOnlySet<string> keys, string name)
    {
        var layout = ControlNetLayout.Detect(keys, name);
        if (layout != ControlNetKeyLayout.Diffusers)
        {
            return (layout, key => key);
        }

        // Keys diffusers' layout has and the original lacks keep their name: the model never asks for them.
        var mapped = ControlNetDiffusersNames.Map(keys);
        return (layout, key => mapped.TryGetValue(key, out var original) ? original : key);
    }

    private static HashSet<string> SafetensorsKeys(string path)
    {
        // Mapping costs no reads: only the header is parsed, the views are released at once.
        var tensors = MappedSafetensors.Read(path);
        foreach (var tensor in tensors.Values)
        {
            tensor.Dispose();
        }

        return tensors.Keys.ToHashSet(StringComparer.Ordinal);
    }
}
