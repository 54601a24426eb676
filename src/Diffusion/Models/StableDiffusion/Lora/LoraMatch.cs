using static TorchSharp.torch;

namespace ComfySnap.Diffusion.Models.StableDiffusion.Lora;

/// <summary>
/// A LoRA file read against a model's key map (ComfyUI's load_lora): the adapter for each
/// checkpoint weight it patches, and the file's keys nothing used ("lora key not loaded").
/// </summary>
public sealed record LoraMatch(IReadOnlyDictionary<string, LoraAdapter> Adapters, IReadOnlyList<string> NotLoaded, IReadOnlyList<string> Misfits)
{
    /// <summary>Up/down name pairs, in ComfyUI's order of preference (kohya first).</summary>
    private static readonly (string Up, string Down)[] PairFormats =
    [
        (".lora_up.weight", ".lora_down.weight"),
        ("_lora.up.weight", "_lora.down.weight"),
        (".lora_B.weight", ".lora_A.weight"),
        (".lora.up.weight", ".lora.down.weight"),
        (".lora_B", ".lora_A"),
        (".lora_linear_layer.up.weight", ".lora_linear_layer.down.weight"),
        (".lora_B.default.weight", ".lora_A.default.weight"),
    ];

    /// <summary>Adapter kinds ComfyUI applies that are not implemented here: failing beats a silently different image.</summary>
    private static readonly (string Suffix, string Kind)[] Unsupported =
    [
        (".dora_scale", "DoRA"), (".hada_w1_a", "LoHa"), (".lokr_w1", "LoKr"), (".lokr_w2", "LoKr"),
        (".lokr_w1_a", "LoKr"), (".lokr_w2_a", "LoKr"), (".a1.weight", "GLoRA"), (".w_norm", "norm diff"),
        (".diff", "full diff"), (".diff_b", "bias diff"), (".set_weight", "set weight"), (".oft_blocks", "OFT"),
    ];

    /// <summary>
    /// Reads <paramref name="file"/> with <paramref name="keyMap"/> (LoRA name -> checkpoint key);
    /// adapters whose product does not fit the weight's shape (<paramref name="shapeOf"/> its key) are
    /// left out and listed as misfits (ComfyUI logs them as errors and skips them too).
    /// </summary>
    public static LoraMatch Read(LoraFile file, IReadOnlyDictionary<string, string> keyMap, Func<string, long[]> shapeOf)
    {
        var lora = file.Tensors;
        var adapters = new Dictionary<string, LoraAdapter>(StringComparer.Ordinal);
        var used = new HashSet<string>(StringComparer.Ordinal);
        var misfits = new List<string>();
        foreach (var (name, weightKey) in keyMap)
        {
            if (Unsupported.FirstOrDefault(u => lora.ContainsKey(name + u.Suffix)) is { Kind: not null } unsupported)
            {
                throw new NotSupportedException($"LoRA '{file.Name}' uses {unsupported.Kind} ('{name}{unsupported.Suffix}'), which is not supported: only plain LoRA/LoCon up/down pairs are");
            }

            // Like ComfyUI, an alpha counts as loaded whenever its name maps to a weight.
            var alphaKey = name + ".alpha";
            double? alpha = null;
            if (lora.TryGetValue(alphaKey, out var alphaTensor))
            {
                alpha = ReadScalar(alphaTensor);
                used.Add(alphaKey);
            }

            if (PairFormats.FirstOrDefault(f => lora.ContainsKey(name + f.Up)) is not { Up: not null } format
                || !lora.TryGetValue(name + format.Down, out var down))
            {
                continue;
            }

            // Only kohya's naming carries a LoCon mid kernel.
            var midKey = name + ".lora_mid.weight";
            var mid = format == PairFormats[0] && lora.TryGetValue(midKey, out var m) ? m : null;
            var adapter = new LoraAdapter(name, lora[name + format.Up], down, mid, alpha);
            used.UnionWith(mid is null ? [name + format.Up, name + format.Down] : [name + format.Up, name + format.Down, midKey]);
            if (adapter.Fits(shapeOf(weightKey)))
            {
                adapters[weightKey] = adapter;
            }
            else
            {
                misfits.Add($"{name} -> {weightKey}");
            }
        }

        var notLoaded = lora.Keys.Where(k => !used.Contains(k)).Order(StringComparer.Ordinal).ToList();
        return new LoraMatch(adapters, notLoaded, misfits);
    }

    private static double ReadScalar(Tensor tensor)
    {
        using var value = tensor.to_type(float64);
        return value.item<double>();
    }
}
