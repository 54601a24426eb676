using ComfySnap.Diffusion.Text;
using static TorchSharp.torch;

namespace ComfySnap.Diffusion.Models.StableDiffusion;

/// <summary>
/// CLIPTextEncode's computation as ComfyUI's sd1_clip does it: the prompt's 77-token windows are
/// encoded as one batch; when any token has a weight other than 1, an "empty" window (start, end,
/// pads) is encoded with them and each weighted token becomes empty + (token - empty) * weight.
/// The windows are joined along the token axis: [1, 77*k, width].
/// </summary>
public static class ClipTextEncoding
{
    public const int StartToken = 49406;
    public const int EndToken = 49407;

    public static Tensor Encode(ClipEncoder clip, string text)
    {
        using var scope = NewDisposeScope();
        var windows = clip.Tokenizer.TokenizeWithWeights(text);
        return EncodeWindows(windows, EndToken, ids => clip.Model.Encode(ids, clip.StopAtLayer)).contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The windows encoded as one batch by <paramref name="encode"/> (ids [k, length] to hidden states
    /// [k, length, width]), weighted tokens blended against the empty window (start, end, then
    /// <paramref name="pad"/>), joined along the token axis. Shared by every CLIP tower (SD 1.x, SDXL's CLIP-L and CLIP-G).
    /// </summary>
    public static Tensor EncodeWindows(IReadOnlyList<IReadOnlyList<WeightedToken>> windows, long pad, Func<Tensor, Tensor> encode)
    {
        var hasWeights = windows.Any(w => w.Any(t => t.Weight != 1.0));
        var length = windows.Max(w => w.Count);
        var rows = windows.Select(w => w.Select(t => (long)t.Id).ToArray()).ToList();
        if (hasWeights)
        {
            rows.Add([StartToken, EndToken, .. Enumerable.Repeat(pad, length - 2)]);
        }

        var z = encode(tensor(rows.SelectMany(r => r).ToArray(), [rows.Count, length]));
        var sections = z.narrow(0, 0, windows.Count);
        if (hasWeights)
        {
            var weights = tensor(windows.SelectMany(w => w.Select(t => (float)t.Weight)).ToArray(), [windows.Count, length, 1]);
            var empty = z.narrow(0, windows.Count, 1);
            var weighted = sections.sub(empty).mul_(weights).add_(empty);
            sections = where(weights.ne(1.0f), weighted, sections);
        }

        return sections.reshape(1, windows.Count * length, sections.shape[2]);
    }
}
