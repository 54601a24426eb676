namespace ComfySnap.Diffusion.Text;

/// <summary>
/// ComfyUI's prompt emphasis (comfy/sd1_clip.py token_weights, parse_parentheses; sdref): "(x)"
/// multiplies the weight by 1.1 per level, "(x:1.3)" sets it to 1.3 (an inner weight replaces the
/// outer one), "\(" and "\)" are literal parentheses, square brackets are plain text.
/// </summary>
public static class PromptWeights
{
    /// <summary>
    /// Deepest nesting accepted. ComfyUI recurses once per level and fails near Python's
    /// recursion limit (1000); the cost here grows with depth times length.
    /// </summary>
    public const int MaxNesting = 1000;

    public const double EmphasisFactor = 1.1;

    // escape_important / unescape_important: placeholders the parenthesis parser ignores.
    private const string EscapedClose = "\u0000\u0001";
    private const string EscapedOpen = "\u0000\u0002";

    /// <summary>The prompt's pieces in order, each with its weight (top level: 1.0).</summary>
    public static IReadOnlyList<WeightedText> Parse(string prompt)
    {
        var escaped = prompt.Replace("\\)", EscapedClose, StringComparison.Ordinal).Replace("\\(", EscapedOpen, StringComparison.Ordinal);
        var pieces = new List<WeightedText>();
        AddPieces(escaped, 1.0, depth: 0, pieces);
        for (var i = 0; i < pieces.Count; i++)
        {
            var text = pieces[i].Text.Replace(EscapedClose, ")", StringComparison.Ordinal).Replace(EscapedOpen, "(", StringComparison.Ordinal);
            pieces[i] = pieces[i] with { Text = text };
        }

        return pieces;
    }

    /// <summary>
    /// parse_parentheses: splits at top-level "(...)" groups, keeping them whole. A ')' without its
    /// '(' is plain text, and makes a later '(' plain text too (the depth went below zero).
    /// </summary>
    public static IReadOnlyList<string> SplitTopLevelGroups(string text)
    {
        var parts = new List<string>();
        var start = 0;
        var depth = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '(')
            {
                if (depth == 0 && i > start)
                {
                    parts.Add(text[start..i]);
                    start = i;
                }

                depth++;
            }
            else if (text[i] == ')')
            {
                depth--;
                if (depth == 0)
                {
                    parts.Add(text[start..(i + 1)]);
                    start = i + 1;
                }
            }
        }

        if (start < text.Length)
        {
            parts.Add(text[start..]);
        }

        return parts;
    }

    // token_weights
    private static void AddPieces(string text, double weight, int depth, List<WeightedText> pieces)
    {
        if (depth > MaxNesting)
        {
            throw new ArgumentException($"the prompt nests parentheses more than {MaxNesting} deep");
        }

        foreach (var part in SplitTopLevelGroups(text))
        {
            if (part.Length < 2 || part[0] != '(' || part[^1] != ')')
            {
                pieces.Add(new WeightedText(part, weight));
                continue;
            }

            var inner = part[1..^1];
            var innerWeight = weight * EmphasisFactor;
            var colon = inner.LastIndexOf(':');
            if (colon > 0 && PythonFloat.TryParse(inner[(colon + 1)..], out var explicitWeight))
            {
                innerWeight = explicitWeight;
                inner = inner[..colon];
            }

            AddPieces(inner, innerWeight, depth + 1, pieces);
        }
    }
}
