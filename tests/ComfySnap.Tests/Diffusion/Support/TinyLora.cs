using ComfySnap.Diffusion.Models;
using ComfySnap.Diffusion.Models.StableDiffusion;
using ComfySnap.Diffusion.Models.StableDiffusion.Generation;
using static TorchSharp.torch;

namespace ComfySnap.Tests.Diffusion.Support;

/// <summary>How a LoRA file names its up/down pair (ComfyUI reads both).</summary>
public sealed record LoraPairNaming(string Up, string Down)
{
    public static readonly LoraPairNaming Kohya = new(".lora_up.weight", ".lora_down.weight");
    public static readonly LoraPairNaming Peft = new(".lora_B.weight", ".lora_A.weight");
}

/// <summary>One weight a test LoRA patches: its checkpoint key and the name the file gives it.</summary>
public sealed record LoraTarget(string WeightKey, string Name);

/// <summary>
/// Small random LoRA files for the tiny checkpoint, written at test time: for each target a
/// down [rank, in(,kh,kw)] and up [out, rank(,1,1)] pair drawn from a seeded generator, the
/// layout kohya's trainer writes for linear and conv layers.
/// </summary>
public static class TinyLora
{
    public const string Linear = "model.diffusion_model.input_blocks.3.1.transformer_blocks.0.attn2.to_k.weight";
    public const string Conv1x1 = "model.diffusion_model.input_blocks.3.1.proj_in.weight";
    public const string Conv3x3 = "model.diffusion_model.input_blocks.1.0.in_layers.2.weight";
    public const string Upsampler = "model.diffusion_model.output_blocks.1.2.conv.weight";
    public const string ClipQuery = "cond_stage_model.transformer.text_model.encoder.layers.0.self_attn.q_proj.weight";

    /// <summary>The tiny checkpoint's weight shapes by key.</summary>
    public static IReadOnlyDictionary<string, long[]> Shapes { get; } =
        RandomCheckpoint.Layout(CheckpointPreset.Tiny).ToDictionary(r => r.Key, r => r.Shape, StringComparer.Ordinal);

    /// <summary>kohya's name for a weight in the original layout: "lora_unet_input_blocks_1_0_in_layers_2", "lora_te_text_model_encoder_layers_0_...".</summary>
    public static string KohyaName(string weightKey)
    {
        var name = weightKey[..^".weight".Length];
        return name.StartsWith(CheckpointLayout.UnetPrefix, StringComparison.Ordinal)
            ? "lora_unet_" + name[CheckpointLayout.UnetPrefix.Length..].Replace('.', '_')
            : "lora_te_text_model_" + name[CheckpointLayout.ClipPrefix.Length..].Replace('.', '_');
    }

    /// <summary>Every UNet and CLIP-layer weight of the tiny checkpoint a LoRA trainer would patch, with kohya names.</summary>
    public static IReadOnlyList<LoraTarget> Broad() =>
    [
        .. Shapes
            .Where(kv => kv.Value.Length >= 2 && kv.Key.EndsWith(".weight", StringComparison.Ordinal)
                && (kv.Key.StartsWith(CheckpointLayout.UnetPrefix, StringComparison.Ordinal)
                    || (kv.Key.StartsWith(CheckpointLayout.ClipPrefix + "encoder.layers.", StringComparison.Ordinal) && (kv.Key.Contains("_proj.") || kv.Key.Contains(".fc")))))
            .Select(kv => new LoraTarget(kv.Key, KohyaName(kv.Key)))
            .OrderBy(t => t.Name, StringComparer.Ordinal),
    ];

    /// <summary>
    /// Writes a LoRA for <paramref name="targets"/> at <paramref name="path"/>: rank
    /// <paramref name="rank"/>, entries drawn from N(0, <paramref name="sigma"/>²) with
    /// <paramref name="seed"/>, an ".alpha" per target when <paramref name="alpha"/> is set, stored
    /// as <paramref name="dtype"/>. <paramref name="extra"/> adds keys of the given shapes (e.g. ones no model has).
    /// </summary>
    public static void Write(string path, IEnumerable<LoraTarget> targets, LoraPairNaming naming, long rank, double? alpha, ulong seed,
        ScalarType? dtype = null, double sigma = 0.1, IEnumerable<(string Key, long[] Shape)>? extra = null)
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(seed);
        var storage = dtype ?? float32;
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var target in targets)
        {
            var shape = Shapes[target.WeightKey];
            long[] downShape = shape.Length == 4 ? [rank, shape[1], shape[2], shape[3]] : [rank, shape[1]];
            long[] upShape = shape.Length == 4 ? [shape[0], rank, 1, 1] : [shape[0], rank];
            tensors[target.Name + naming.Down] = (randn(downShape, generator: generator) * sigma).to_type(storage);
            tensors[target.Name + naming.Up] = (randn(upShape, generator: generator) * sigma).to_type(storage);
            if (alpha is { } a)
            {
                tensors[target.Name + ".alpha"] = tensor(a, dtype: storage);
            }
        }

        foreach (var (key, shape) in extra ?? [])
        {
            tensors[key] = randn(shape, generator: generator).to_type(storage);
        }

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        SafetensorsWriter.Save(path, tensors);
    }

    /// <summary>
    /// The patched weight the test expects, straight from the file: W + s * (alpha / rank) * (up @ down)
    /// in float32, reshaped to W, summed over <paramref name="loras"/> in order.
    /// </summary>
    public static Tensor Expected(Tensor weight, IEnumerable<(IReadOnlyDictionary<string, Tensor> File, string Name, LoraPairNaming Naming, double Strength)> loras)
    {
        var result = weight.to_type(float32, copy: true);
        foreach (var (file, name, naming, strength) in loras)
        {
            var up = file[name + naming.Up].to_type(float32);
            var down = file[name + naming.Down].to_type(float32);
            var rank = down.shape[0];
            var alpha = file.TryGetValue(name + ".alpha", out var a) ? a.to_type(float64).item<double>() : rank;
            result = result + (mm(up.flatten(1), down.flatten(1)).reshape(weight.shape) * (strength * alpha / rank));
        }

        return result;
    }
}
