using System.Buffers;
using System.Globalization;
using System.Text;

namespace ComfySnap.Diffusion.Text;

/// <summary>
/// Unicode normalisation form C. The worker runs with InvariantGlobalization, where
/// string.Normalize returns its input unchanged, so composition is done here from the canonical
/// data in Data/unicode/nfc_table.txt (embedded; written by make_nfc_table.py from the Unicode
/// version the reference tokenizer uses).
/// </summary>
public static class UnicodeNfc
{
    private const string TableResource = "ComfySnap.Diffusion.Text.nfc_table.txt";

    // Hangul syllables are composed by formula (Unicode chapter 3.12), not by table.
    private const int SBase = 0xAC00, LBase = 0x1100, VBase = 0x1161, TBase = 0x11A7;
    private const int LCount = 19, VCount = 21, TCount = 28, NCount = VCount * TCount, SCount = LCount * NCount;

    private static readonly Dictionary<int, int> CombiningClass = [];
    private static readonly Dictionary<int, int[]> Decomposition = [];
    private static readonly Dictionary<long, int> Composition = [];
    private static readonly HashSet<int> NeverComposed = [];
    private static readonly HashSet<int> ComposesWithPrevious = [];

    static UnicodeNfc()
    {
        using var stream = typeof(UnicodeNfc).Assembly.GetManifestResourceStream(TableResource)
            ?? throw new InvalidOperationException($"the worker assembly lacks its embedded resource {TableResource}");
        using var reader = new StreamReader(stream);
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var fields = line.Split(' ');
            var codePoint = Hex(fields[1]);
            switch (fields[0])
            {
                case "C":
                    for (var cp = codePoint; cp <= Hex(fields[2]); cp++)
                    {
                        CombiningClass[cp] = int.Parse(fields[3], CultureInfo.InvariantCulture);
                    }

                    break;
                case "D":
                    Decomposition[codePoint] = [Hex(fields[2]), Hex(fields[3])];
                    Composition[PairKey(Hex(fields[2]), Hex(fields[3]))] = codePoint;
                    ComposesWithPrevious.Add(Hex(fields[3]));
                    break;
                case "X":
                    Decomposition[codePoint] = fields.Skip(2).Select(Hex).ToArray();
                    NeverComposed.Add(codePoint);
                    break;
                default:
                    throw new InvalidDataException($"unknown line in {TableResource}: '{line}'");
            }
        }
    }

    /// <summary>NFC of <paramref name="text"/>; the same string when it is already in NFC for certain.</summary>
    public static string Normalize(string text)
    {
        if (IsSurelyComposed(text))
        {
            return text;
        }

        var codePoints = new List<int>(text.Length);
        foreach (var cp in CodePoints(text))
        {
            Decompose(cp, codePoints);
        }

        SortMarks(codePoints);
        Compose(codePoints);
        var result = new StringBuilder(codePoints.Count);
        foreach (var cp in codePoints)
        {
            AppendCodePoint(result, cp);
        }

        return result.ToString();
    }

    // Unicode's quick check: text of starters that neither change under NFC nor compose with what
    // precedes them is in NFC. Everything below U+0300 qualifies (make_nfc_table.py checks it).
    private static bool IsSurelyComposed(string text)
    {
        foreach (var c in text)
        {
            if (c >= '\u0300')
            {
                return CodePoints(text).All(cp => !NeverComposed.Contains(cp) && !ComposesWithPrevious.Contains(cp)
                    && !CombiningClass.ContainsKey(cp) && !IsHangulJamoVowelOrTrailing(cp));
            }
        }

        return true;
    }

    private static void Decompose(int cp, List<int> output)
    {
        if (cp - SBase is >= 0 and < SCount)
        {
            var index = cp - SBase;
            output.Add(LBase + (index / NCount));
            output.Add(VBase + (index % NCount / TCount));
            if (index % TCount != 0)
            {
                output.Add(TBase + (index % TCount));
            }
        }
        else if (Decomposition.TryGetValue(cp, out var parts))
        {
            foreach (var part in parts)
            {
                Decompose(part, output);
            }
        }
        else
        {
            output.Add(cp);
        }
    }

    // Canonical ordering: marks between two starters sorted by combining class, stably.
    private static void SortMarks(List<int> codePoints)
    {
        for (var i = 1; i < codePoints.Count; i++)
        {
            var cp = codePoints[i];
            var cls = ClassOf(cp);
            var j = i;
            while (cls != 0 && j > 0 && ClassOf(codePoints[j - 1]) > cls)
            {
                codePoints[j] = codePoints[j - 1];
                j--;
            }

            codePoints[j] = cp;
        }
    }

    // Canonical composition: each character joins the last starter unless a character between
    // them blocks it (one of class 0, or of a class not below its own).
    private static void Compose(List<int> codePoints)
    {
        if (codePoints.Count == 0)
        {
            return;
        }

        var starter = 0;
        var lastClass = ClassOf(codePoints[0]) == 0 ? 0 : 256;  // a leading mark has no starter
        var written = 1;
        for (var i = 1; i < codePoints.Count; i++)
        {
            var cp = codePoints[i];
            var cls = ClassOf(cp);
            // lastClass 0: the last character kept is the starter itself, so nothing lies between.
            if ((lastClass == 0 || lastClass < cls) && TryCompose(codePoints[starter], cp, out var composite))
            {
                codePoints[starter] = composite;
                continue;
            }

            if (cls == 0)
            {
                starter = written;
            }

            lastClass = cls;
            codePoints[written++] = cp;
        }

        codePoints.RemoveRange(written, codePoints.Count - written);
    }

    private static bool TryCompose(int first, int second, out int composite)
    {
        if (first - LBase is >= 0 and < LCount && second - VBase is >= 0 and < VCount)
        {
            composite = SBase + ((((first - LBase) * VCount) + second - VBase) * TCount);
            return true;
        }

        if (first - SBase is >= 0 and < SCount && (first - SBase) % TCount == 0 && second - TBase is > 0 and < TCount)
        {
            composite = first + second - TBase;
            return true;
        }

        return Composition.TryGetValue(PairKey(first, second), out composite);
    }

    private static bool IsHangulJamoVowelOrTrailing(int cp) => cp - VBase is >= 0 and < VCount || cp - TBase is > 0 and < TCount;

    private static int ClassOf(int cp) => CombiningClass.GetValueOrDefault(cp);

    private static IEnumerable<int> CodePoints(string text)
    {
        for (var i = 0; i < text.Length;)
        {
            // A lone surrogate is kept as a code point of its own (it has no canonical data).
            var ok = Rune.DecodeFromUtf16(text.AsSpan(i), out var rune, out var width) == OperationStatus.Done;
            yield return ok ? rune.Value : text[i];
            i += ok ? width : 1;
        }
    }

    private static void AppendCodePoint(StringBuilder builder, int cp)
    {
        if (Rune.TryCreate(cp, out var rune))
        {
            builder.Append(rune.ToString());
        }
        else
        {
            builder.Append((char)cp);
        }
    }

    private static int Hex(string field) => int.Parse(field, NumberStyles.HexNumber, CultureInfo.InvariantCulture);

    private static long PairKey(int first, int second) => ((long)first << 21) | (uint)second;
}
