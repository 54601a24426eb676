using System.Buffers;
using System.Globalization;
using System.Text;

namespace ComfySnap.Diffusion.Text;

/// <summary>
/// Python's str.isspace and str.lower, which the reference tokenizer relies on and .NET does not
/// quite match: .NET's whitespace lacks U+001C..U+001F, and invariant lower-casing neither maps
/// U+0130 to "i&#x307;" nor gives capital sigma its final form at the end of a word.
/// </summary>
public static class PythonText
{
    private const char CapitalSigma = '\u03A3';
    private const char FinalSigma = '\u03C2';
    private const char CapitalIWithDot = '\u0130';

    /// <summary>str.isspace of one character (every such character is in the BMP).</summary>
    public static bool IsSpace(char c) =>
        c is (>= '\t' and <= '\r') or (>= '\u001C' and <= ' ') or '\u0085' or '\u00A0' or '\u1680' or (>= '\u2000' and <= '\u200A')
            or '\u2028' or '\u2029' or '\u202F' or '\u205F' or '\u3000';

    /// <summary>str.lower: full lower-case mapping, code point by code point.</summary>
    public static string Lower(string text)
    {
        if (Ascii.IsValid(text))
        {
            return text.ToLowerInvariant();
        }

        var result = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length;)
        {
            if (Rune.DecodeFromUtf16(text.AsSpan(i), out var rune, out var width) != OperationStatus.Done)
            {
                result.Append(text[i++]);  // a lone surrogate stays as it is, as in Python
                continue;
            }

            switch (text[i])
            {
                case CapitalIWithDot:
                    result.Append("i\u0307");
                    break;
                case CapitalSigma:
                    result.Append(IsFinalSigma(text, i) ? FinalSigma : '\u03C3');
                    break;
                default:
                    result.Append(Rune.ToLowerInvariant(rune).ToString());
                    break;
            }

            i += width;
        }

        return result.ToString();
    }

    // Unicode's Final_Sigma condition: a cased letter before (skipping case-ignorable characters)
    // and none after.
    private static bool IsFinalSigma(string text, int sigma) =>
        NearestNotCaseIgnorable(text, sigma, forward: false) is { } before && IsCased(before)
        && !(NearestNotCaseIgnorable(text, sigma + 1, forward: true) is { } after && IsCased(after));

    /// <summary>The first character from <paramref name="from"/> on (or before it) that is not case-ignorable.</summary>
    private static Rune? NearestNotCaseIgnorable(string text, int from, bool forward)
    {
        var i = from;
        while (forward ? i < text.Length : i > 0)
        {
            var status = forward
                ? Rune.DecodeFromUtf16(text.AsSpan(i), out var rune, out var width)
                : Rune.DecodeLastFromUtf16(text.AsSpan(0, i), out rune, out width);
            if (status != OperationStatus.Done || !IsCaseIgnorable(rune))
            {
                return rune;  // a lone surrogate decodes as U+FFFD: neither cased nor ignorable
            }

            i += forward ? width : -width;
        }

        return null;
    }

    // Cased: upper, lower or title case letters, plus characters with a case mapping (Ⓐ, Ⅻ).
    private static bool IsCased(Rune rune) =>
        Rune.GetUnicodeCategory(rune) is UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
        || Rune.ToLowerInvariant(rune) != rune || Rune.ToUpperInvariant(rune) != rune;

    // Case_Ignorable: marks, format characters, modifiers and the word-internal punctuation of
    // Unicode's word-break rules (apostrophes, full stop, colon, middle dot).
    private static bool IsCaseIgnorable(Rune rune) =>
        Rune.GetUnicodeCategory(rune) is UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark or UnicodeCategory.Format
            or UnicodeCategory.ModifierLetter or UnicodeCategory.ModifierSymbol
        || rune.Value is '\'' or '.' or ':' or 0x00B7 or 0x0387 or 0x055F or 0x05F4 or 0x2018 or 0x2019 or 0x2024 or 0x2027
            or 0xFE13 or 0xFE52 or 0xFE55 or 0xFF07 or 0xFF0E or 0xFF1A;
}
