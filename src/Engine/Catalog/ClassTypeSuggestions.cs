namespace ComfySnap.Engine.Catalog;

/// <summary>A few known class_types close to a misspelled one, for error messages.</summary>
public static class ClassTypeSuggestions
{
    public static string Near(INodeCatalog catalog, string classType)
    {
        var close = catalog.Nodes
            .Select(n => n.ClassType)
            .OrderBy(k => Distance(k.ToUpperInvariant(), classType.ToUpperInvariant()))
            .Take(3);
        return string.Join(", ", close);
    }

    private static int Distance(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var current = new int[b.Length + 1];
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }

            previous = current;
        }

        return previous[b.Length];
    }
}
