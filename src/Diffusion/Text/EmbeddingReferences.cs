using System.Text;

namespace ComfySnap.Diffusion.Text;

/// <summary>
/// ComfyUI's "embedding:NAME" prompt syntax (sd1_clip.py SDTokenizer). A prompt piece is cut
/// before every " embedding:" / "\nembedding:"; the worker has no textual-inversion embeddings, so,
/// as ComfyUI does for a name it cannot find, each name is dropped and only what follows it is kept.
/// </summary>
public static class EmbeddingReferences
{
    public const string Prefix = "embedding:";

    private static readonly string[] Separators = [" " + Prefix, "\n" + Prefix];

    /// <summary>The texts of <paramref name="piece"/> left to tokenize, in order, with embedding names removed.</summary>
    public static IReadOnlyList<string> TextsWithoutEmbeddings(string piece)
    {
        if (!piece.Contains(Prefix, StringComparison.Ordinal))
        {
            return piece.Length == 0 ? [] : [piece];
        }

        var texts = new List<string>();
        var words = piece.Split(Separators, StringSplitOptions.None);
        for (var i = 0; i < words.Length; i++)
        {
            var word = i == 0 ? words[0] : Prefix + words[i];
            if (word.Length == 0)
            {
                continue;
            }

            if (!word.StartsWith(Prefix, StringComparison.Ordinal))
            {
                texts.Add(word);
            }
            else if (TextAfterName(word[Prefix.Length..]) is { Length: > 0 } rest)
            {
                texts.Add(rest);
            }
        }

        return texts;
    }

    // What follows the name: the other whitespace-separated words, behind whatever the name's own
    // leading commas leave at its end (sdref's reading of ComfyUI: "x,, y" keeps ",, y").
    private static string TextAfterName(string reference)
    {
        var parts = SplitOnPythonWhitespace(reference.Trim('\n'));
        if (parts.Count == 0)
        {
            return "";
        }

        var rest = string.Join(' ', parts.Skip(1));
        var name = parts[0];
        var stripped = name.Trim(',');
        if (stripped.Length == name.Length)
        {
            return rest;
        }

        // Python slices by code points: skip as many of the name's as the stripped name has.
        var kept = name.AsSpan();
        for (var skip = stripped.EnumerateRunes().Count(); skip > 0 && kept.Length > 0; skip--)
        {
            Rune.DecodeFromUtf16(kept, out _, out var width);  // a lone surrogate counts as one, as in Python
            kept = kept[width..];
        }

        return $"{kept} {rest}";
    }

    // str.split() without arguments.
    private static List<string> SplitOnPythonWhitespace(string text)
    {
        var parts = new List<string>();
        var start = -1;
        for (var i = 0; i <= text.Length; i++)
        {
            var isSpace = i == text.Length || PythonText.IsSpace(text[i]);
            if (isSpace && start >= 0)
            {
                parts.Add(text[start..i]);
                start = -1;
            }
            else if (!isSpace && start < 0)
            {
                start = i;
            }
        }

        return parts;
    }
}
