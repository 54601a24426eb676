using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace ComfySnap.Diffusion.Text;

/// <summary>
/// Python's float(str), which decides whether "(text:WEIGHT)" carries a weight: surrounding
/// whitespace, any Unicode decimal digits, '_' between digits, "inf"/"infinity"/"nan" in any case;
/// no hex, no thousands separators, nothing else around the number.
/// </summary>
public static partial class PythonFloat
{
    private const string AsciiSpace = " \t\n\v\f\r";

    /// <summary>The value float(<paramref name="text"/>) gives, or false where it raises ValueError.</summary>
    public static bool TryParse(string text, out double value)
    {
        value = 0;
        if (ToAscii(text) is not { } ascii)
        {
            return false;
        }

        var number = ascii.AsSpan().Trim(AsciiSpace);
        if (number.Contains('_'))
        {
            if (WithoutUnderscores(number) is not { } plain)
            {
                return false;
            }

            number = plain;
        }

        var unsigned = number.Length > 0 && number[0] is '+' or '-' ? number[1..] : number;
        if (unsigned.Equals("inf", StringComparison.OrdinalIgnoreCase) || unsigned.Equals("infinity", StringComparison.OrdinalIgnoreCase))
        {
            value = number[0] == '-' ? double.NegativeInfinity : double.PositiveInfinity;
            return true;
        }

        if (unsigned.Equals("nan", StringComparison.OrdinalIgnoreCase))
        {
            value = double.NaN;
            return true;
        }

        return Decimal().IsMatch(number) && double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
    }

    // As CPython: other whitespace becomes ' ', Unicode decimal digits their ASCII digit; any other
    // non-ASCII character makes the text invalid.
    private static string? ToAscii(string text)
    {
        if (Ascii.IsValid(text))
        {
            return text;
        }

        var result = new StringBuilder(text.Length);
        foreach (var rune in text.EnumerateRunes())
        {
            if (rune.IsAscii)
            {
                result.Append((char)rune.Value);
            }
            else if (rune.IsBmp && PythonText.IsSpace((char)rune.Value))
            {
                result.Append(' ');
            }
            else if (Rune.GetUnicodeCategory(rune) == UnicodeCategory.DecimalDigitNumber)
            {
                result.Append((char)('0' + (int)Rune.GetNumericValue(rune)));
            }
            else
            {
                return null;
            }
        }

        return result.ToString();
    }

    // An underscore must sit between two digits ("1_000"), then it is dropped.
    private static string? WithoutUnderscores(ReadOnlySpan<char> text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '_' && (i == 0 || i == text.Length - 1 || !char.IsAsciiDigit(text[i - 1]) || !char.IsAsciiDigit(text[i + 1])))
            {
                return null;
            }
        }

        return text.ToString().Replace("_", "", StringComparison.Ordinal);
    }

    [GeneratedRegex(@"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\z", RegexOptions.CultureInvariant)]
    private static partial Regex Decimal();
}
