using System.Globalization;
using System.Text.RegularExpressions;

namespace ComfySnap.Diffusion.Models.StableDiffusion;

/// <summary>The original single-file SD 1.x key layout and small helpers to read sizes from shapes.</summary>
public static partial class CheckpointLayout
{
    public const string UnetPrefix = "model.diffusion_model.";
    public const string VaePrefix = "first_stage_model.";
    public const string ClipPrefix = "cond_stage_model.transformer.text_model.";

    /// <summary>Older files put the CLIP tower directly under this prefix (ComfyUI renames them).</summary>
    public const string ClipLegacyPrefix = "cond_stage_model.transformer.";

    /// <summary>The distinct integers N of keys "PREFIX + pattern-with-(\d+)" (e.g. block indices).</summary>
    public static SortedSet<int> Indices(IReadOnlyDictionary<string, long[]> shapes, string prefix, string pattern)
    {
        var regex = new Regex("^" + Regex.Escape(prefix) + pattern, RegexOptions.CultureInvariant);
        var found = new SortedSet<int>();
        foreach (var key in shapes.Keys)
        {
            if (regex.Match(key) is { Success: true } m)
            {
                found.Add(int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
            }
        }

        return found;
    }

    /// <summary>The shape under <paramref name="key"/>, or a clear error naming it.</summary>
    public static long[] Shape(IReadOnlyDictionary<string, long[]> shapes, string key, string what) =>
        shapes.TryGetValue(key, out var shape)
            ? shape
            : throw new InvalidDataException($"not an SD 1.x checkpoint: no '{key}' ({what})");
}
