using System.Buffers;
using System.Globalization;
using System.Text;

namespace ComfySnap.Diffusion.Text;

/// <summary>
/// Splits normalised text into the words CLIPBPE's pattern finds, left to right:
/// <c>&lt;\|startoftext\|&gt;|&lt;\|endoftext\|&gt;|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+</c>
/// with IGNORECASE. Written out by hand rather than as a .NET Regex because .NET matches
/// categories per UTF-16 unit, and the reference (Python's regex module) per code point: letters
/// and digits outside the BMP (𝐀, 𝟏) would otherwise split differently.
/// </summary>
public static class ClipWordSplitter
{
    private static readonly string[] SpecialWords = ["<|startoftext|>", "<|endoftext|>"];
    private static readonly string[] Contractions = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d"];

    private enum Kind
    {
        Letter,
        Number,
        Space,
        Other,
    }

    /// <summary>The words of <paramref name="text"/> as (start, length) in UTF-16 units; whitespace is skipped.</summary>
    public static List<(int Start, int Length)> Split(string text)
    {
        var words = new List<(int Start, int Length)>();
        var i = 0;
        while (i < text.Length)
        {
            var literal = LiteralAt(text, i);
            if (literal > 0)
            {
                words.Add((i, literal));
                i += literal;
                continue;
            }

            var kind = KindAt(text, i, out var width);
            var end = i + width;
            if (kind is Kind.Letter or Kind.Other)
            {
                // Letters, or anything that is neither letter, number nor space, run on as one word.
                while (end < text.Length && KindAt(text, end, out var next) == kind)
                {
                    end += next;
                }
            }

            if (kind != Kind.Space)
            {
                words.Add((i, end - i));
            }

            i = end;
        }

        return words;
    }

    /// <summary>Length of the special word or contraction starting at <paramref name="i"/>, or 0.</summary>
    private static int LiteralAt(string text, int i)
    {
        if (text[i] is not ('<' or '\''))
        {
            return 0;
        }

        foreach (var literal in text[i] == '<' ? SpecialWords : Contractions)
        {
            if (MatchesIgnoringCase(text, i, literal))
            {
                return literal.Length;
            }
        }

        return 0;
    }

    // The text is lower case already; what IGNORECASE still adds (simple case folding) is that
    // U+017F LATIN SMALL LETTER LONG S matches 's'.
    private static bool MatchesIgnoringCase(string text, int i, string literal)
    {
        if (i + literal.Length > text.Length)
        {
            return false;
        }

        for (var k = 0; k < literal.Length; k++)
        {
            var c = text[i + k];
            if (c != literal[k] && !(literal[k] == 's' && c == '\u017F'))
            {
                return false;
            }
        }

        return true;
    }

    private static Kind KindAt(string text, int i, out int width)
    {
        if (Rune.DecodeFromUtf16(text.AsSpan(i), out var rune, out width) != OperationStatus.Done)
        {
            width = 1;  // a lone surrogate: neither letter, number nor space
            return Kind.Other;
        }

        return KindOf(rune);
    }

    private static Kind KindOf(Rune rune) =>
        Rune.GetUnicodeCategory(rune) switch
        {
            UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
                or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter => Kind.Letter,
            UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber => Kind.Number,
            _ when IsWhiteSpaceProperty(rune.Value) => Kind.Space,
            _ => Kind.Other,
        };

    /// <summary>Unicode's White_Space property, which the regex module's \s matches.</summary>
    public static bool IsWhiteSpaceProperty(int cp) =>
        cp is (>= '\t' and <= '\r') or ' ' or 0x85 or 0xA0 or 0x1680 or (>= 0x2000 and <= 0x200A) or 0x2028 or 0x2029 or 0x202F
            or 0x205F or 0x3000;

    /// <summary>Whether the pattern's [\p{L}]+ takes this code point.</summary>
    public static bool IsLetter(Rune rune) => KindOf(rune) == Kind.Letter;

    /// <summary>Whether the pattern's [\p{N}] takes this code point.</summary>
    public static bool IsNumber(Rune rune) => KindOf(rune) == Kind.Number;
}
