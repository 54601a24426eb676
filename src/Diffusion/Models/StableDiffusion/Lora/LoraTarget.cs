using System.Globalization;

namespace ComfySnap.Diffusion.Models.StableDiffusion.Lora;

/// <summary>
/// What a LoRA name patches: a whole checkpoint weight ("KEY"), or rows of one ("KEY[start:length]",
/// ComfyUI's (key, (0, start, length)) form). OpenCLIP keeps q, k and v in one fused in_proj weight,
/// so SDXL's CLIP-G q/k/v LoRAs patch thirds of it.
/// </summary>
public readonly record struct LoraTarget(string Key, long Start = 0, long Length = -1)
{
    public bool IsSlice => Length >= 0;

    public static LoraTarget Parse(string target)
    {
        var open = target.LastIndexOf('[');
        if (open < 0 || !target.EndsWith(']'))
        {
            return new LoraTarget(target);
        }

        var range = target[(open + 1)..^1].Split(':');
        return new LoraTarget(target[..open], long.Parse(range[0], CultureInfo.InvariantCulture), long.Parse(range[1], CultureInfo.InvariantCulture));
    }

    public static string Rows(string key, long start, long length) => FormattableString.Invariant($"{key}[{start}:{length}]");

    /// <summary>The shape the LoRA's product must have: the weight's, or the slice's.</summary>
    public long[] ShapeIn(long[] weightShape) => IsSlice ? [Length, .. weightShape[1..]] : weightShape;

    public override string ToString() => IsSlice ? Rows(Key, Start, Length) : Key;
}
