using ComfySnap.Diffusion.Text;
using static TorchSharp.torch;

namespace ComfySnap.Diffusion.Models.StableDiffusion.Sdxl;

/// <summary>One encoder's 77-token windows (weighted tokens).</summary>
public sealed record TokenWindows(IReadOnlyList<IReadOnlyList<WeightedToken>> Windows);

/// <summary>
/// SDXL text encoding as comfy/sdxl_clip.py and sd1_clip.py do it. Each encoder encodes its
/// windows as one batch (with an "empty" window, start + end + that encoder's padding, when some
/// token is weighted: weighted token = empty + (token - empty) * weight) and joins them along the
/// tokens. The base concatenates [CLIP-L, CLIP-G] along the features over the shorter length; the
/// refiner uses CLIP-G alone. Pooled: CLIP-G's, of the first window only, never weighted.
/// </summary>
public static class SdxlTextEncoding
{
    /// <summary>CLIPTextEncode: the same text to both encoders.</summary>
    public static ConditioningEntry EncodePrompt(SdxlClip clip, string text) =>
        Encode(clip, Tokenize(clip.TokenizerG, text), clip.ClipL is null ? null : Tokenize(clip.TokenizerL, text));

    /// <summary>
    /// CLIPTextEncodeSDXL's tokens: text_g to CLIP-G, text_l to CLIP-L; the shorter list gets whole
    /// empty windows (tokenize("")) until both have as many.
    /// </summary>
    public static ConditioningEntry EncodePair(SdxlClip clip, string textG, string textL)
    {
        var g = Tokenize(clip.TokenizerG, textG).Windows.ToList();
        if (clip.ClipL is null)
        {
            return Encode(clip, new TokenWindows(g), null);
        }

        var l = Tokenize(clip.TokenizerL, textL).Windows.ToList();
        while (l.Count < g.Count)
        {
            l.AddRange(clip.TokenizerL.TokenizeWithWeights(""));
        }

        while (g.Count < l.Count)
        {
            g.AddRange(clip.TokenizerG.TokenizeWithWeights(""));
        }

        return Encode(clip, new TokenWindows(g), new TokenWindows(l));
    }

    public static TokenWindows Tokenize(SdTokenizer tokenizer, string text) => new(tokenizer.TokenizeWithWeights(text));

    /// <summary>The conditioning entry (cond [1, 77k, L+G] or [1, 77k, G], and the pooled vector) for tokens already made.</summary>
    public static ConditioningEntry Encode(SdxlClip clip, TokenWindows g, TokenWindows? l)
    {
        using var scope = NewDisposeScope();
        Tensor? pooled = null;
        var condG = ClipTextEncoding.EncodeWindows(g.Windows, clip.TokenizerG.Pad, ids =>
        {
            var output = clip.ClipG.Encode(ids, clip.Layer, FirstEnd(ids));
            pooled ??= output.Pooled.narrow(0, 0, 1);
            return output.Hidden;
        });
        var cond = condG;
        if (l is not null && clip.ClipL is { } clipL)
        {
            var condL = ClipTextEncoding.EncodeWindows(l.Windows, clip.TokenizerL.Pad, ids => clipL.Encode(ids, clip.Layer, normalizeHidden: false));
            var length = Math.Min(condL.shape[1], condG.shape[1]);
            cond = cat([condL.narrow(1, 0, length), condG.narrow(1, 0, length)], -1).contiguous();
        }

        return new ConditioningEntry(cond.MoveToOuterDisposeScope())
        {
            Pooled = new PooledConditioning(pooled!.contiguous().MoveToOuterDisposeScope()),
        };
    }

    /// <summary>Each row's first end token: where ComfyUI takes the pooled output.</summary>
    private static long[] FirstEnd(Tensor ids)
    {
        var (rows, length) = (ids.shape[0], ids.shape[1]);
        var values = ids.data<long>().ToArray();
        var positions = new long[rows];
        for (var r = 0; r < rows; r++)
        {
            var at = Array.IndexOf(values, (long)SdTokenizer.EndToken, (int)(r * length), (int)length);
            positions[r] = at < 0 ? length - 1 : at - r * length;
        }

        return positions;
    }
}
