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
        var hasWeights = windows.Any(w => w.Any(t => t.Weight != 1.0));
        var length = windows.Max(w => w.Count);
        var rows = windows.Select(w => w.Select(t => (long)t.Id).ToArray()).ToList();
        if (hasWeights)
        {
            rows.Add([StartToken, .. Enumerable.Repeat((long)EndToken, length - 1)]);
        }

        var ids = tensor(rows.SelectMany(r => r).ToArray(), [rows.Count, length]);
        var z = clip.Model.Encode(ids, clip.StopAtLayer);
        var sections = z.narrow(0, 0, windows.Count);
        if (hasWeights)
        {
            var weights = tensor(windows.SelectMany(w => w.Select(t => (float)t.Weight)).ToArray(), [windows.Count, length, 1]);
            var empty = z.narrow(0, windows.Count, 1);
            var weighted = sections.sub(empty).mul_(weights).add_(empty);
            sections = where(weights.ne(1.0f), weighted, sections);
        }

        var hidden = sections.shape[2];
        return sections.reshape(1, windows.Count * length, hidden).contiguous().MoveToOuterDisposeScope();
    }
}
