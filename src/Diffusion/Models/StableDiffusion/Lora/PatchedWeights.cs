using static TorchSharp.torch;

namespace ComfySnap.Diffusion.Models.StableDiffusion.Lora;

/// <summary>One LoRA applied to one weight (or to rows of it, <see cref="Target"/>), at a strength.</summary>
public sealed record AppliedLora(LoraAdapter Adapter, double Strength)
{
    public LoraTarget Target { get; init; }
}

/// <summary>A patched copy of a checkpoint weight and the LoRAs it holds, in the order applied.</summary>
public sealed record PatchedWeight(Tensor Value, IReadOnlyList<AppliedLora> Loras);

/// <summary>
/// The weights a MODEL or CLIP value computes with, by checkpoint key: the checkpoint's shared
/// tensors, with LoRA-patched copies in place of some. The copies are the only tensors a value
/// owns (<see cref="Owned"/>: the engine frees them with the value); the checkpoint's are never
/// freed here. Like ComfyUI's ModelPatcher, a weight patched again is recomputed from the
/// checkpoint's with every LoRA on it, so chained LoRAs round once, as ComfyUI does.
/// </summary>
public sealed class PatchedWeights
{
    private readonly IReadOnlyDictionary<string, Tensor> _checkpoint;
    private readonly IReadOnlyDictionary<string, PatchedWeight> _patched;

    private PatchedWeights(IReadOnlyDictionary<string, Tensor> checkpoint, IReadOnlyDictionary<string, PatchedWeight> patched)
    {
        _checkpoint = checkpoint;
        _patched = patched;
        if (patched.Count == 0)
        {
            All = checkpoint;
            return;
        }

        var all = new Dictionary<string, Tensor>(checkpoint, StringComparer.Ordinal);
        foreach (var (key, weight) in patched)
        {
            all[key] = weight.Value;
        }

        All = all;
    }

    /// <summary>The checkpoint's weights, unpatched.</summary>
    public static PatchedWeights Of(IReadOnlyDictionary<string, Tensor> checkpoint) =>
        new(checkpoint, new Dictionary<string, PatchedWeight>(StringComparer.Ordinal));

    /// <summary>Every weight by checkpoint key, patched where a LoRA touched it: what models are bound to.</summary>
    public IReadOnlyDictionary<string, Tensor> All { get; }

    /// <summary>The checkpoint's weights these are patches of (what LoRA key maps and shapes come from).</summary>
    public IReadOnlyDictionary<string, Tensor> Checkpoint => _checkpoint;

    public IReadOnlyDictionary<string, PatchedWeight> Patched => _patched;

    /// <summary>The patched copies: what the value holding these weights owns.</summary>
    public IEnumerable<Tensor> Owned => _patched.Values.Select(p => p.Value);

    /// <summary>
    /// These weights with <paramref name="adapters"/> (by <see cref="LoraTarget"/>: a checkpoint key,
    /// or rows of one) added at <paramref name="strength"/>. Each touched weight is a new float32
    /// copy of the checkpoint's with all its LoRAs added; <paramref name="storedAsHalf"/> rounds it
    /// through float16, as ComfyUI stores weights it keeps in float16 (CLIP on CPU). Untouched
    /// copies are shared.
    /// </summary>
    public PatchedWeights With(IReadOnlyDictionary<string, LoraAdapter> adapters, double strength, bool storedAsHalf)
    {
        var patched = new Dictionary<string, PatchedWeight>(_patched, StringComparer.Ordinal);
        foreach (var byKey in adapters.Select(kv => (Target: LoraTarget.Parse(kv.Key), Adapter: kv.Value)).GroupBy(a => a.Target.Key, StringComparer.Ordinal))
        {
            var key = byKey.Key;
            IReadOnlyList<AppliedLora> loras = [.. _patched.TryGetValue(key, out var earlier) ? earlier.Loras : [], .. byKey.Select(a => new AppliedLora(a.Adapter, strength) { Target = a.Target })];
            patched[key] = new PatchedWeight(Compute(_checkpoint[key], loras, storedAsHalf), loras);
        }

        return new PatchedWeights(_checkpoint, patched);
    }

    /// <summary>The same weights with every owned copy replaced by <paramref name="map"/>(copy); this instance when nothing changes.</summary>
    public PatchedWeights MapOwned(Func<Tensor, Tensor> map)
    {
        var mapped = _patched.ToDictionary(kv => kv.Key, kv => kv.Value with { Value = map(kv.Value.Value) }, StringComparer.Ordinal);
        return mapped.All(kv => ReferenceEquals(kv.Value.Value, _patched[kv.Key].Value)) ? this : new PatchedWeights(_checkpoint, mapped);
    }

    private static Tensor Compute(Tensor checkpointWeight, IReadOnlyList<AppliedLora> loras, bool storedAsHalf)
    {
        using var scope = NewDisposeScope();
        var weight = checkpointWeight.to_type(float32, copy: true);
        foreach (var lora in loras)
        {
            // A slice is a view: adding to it patches those rows of the copy.
            lora.Adapter.AddTo(lora.Target.IsSlice ? weight.narrow(0, lora.Target.Start, lora.Target.Length) : weight, lora.Strength);
        }

        // Patched in float32, stored in the dtype the layer computes in (a bf16 UNet's stays bf16, as ComfyUI casts back).
        var stored = storedAsHalf ? weight.to_type(float16).to_type(float32)
            : checkpointWeight.dtype == bfloat16 ? weight.to_type(bfloat16)
            : weight;
        return stored.MoveToOuterDisposeScope();
    }
}
