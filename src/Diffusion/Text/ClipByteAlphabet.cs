namespace ComfySnap.Diffusion.Text;

/// <summary>
/// CLIP's reversible byte-to-character table (bytes_to_unicode): printable Latin-1 bytes stand for
/// themselves, the other 68 bytes take the characters from U+0100 on, so BPE works on text
/// without whitespace or control characters. The first 256 vocabulary ids follow this table's order.
/// </summary>
public static class ClipByteAlphabet
{
    /// <summary>Vocabulary id of a byte as the first 256 ids list them (id + 256: the same byte ending a word).</summary>
    public static IReadOnlyList<int> IdOfByte { get; }

    /// <summary>The character standing for each vocabulary id 0..255.</summary>
    public static IReadOnlyList<char> CharOfId { get; }

    static ClipByteAlphabet()
    {
        var printable = new List<int>();
        printable.AddRange(Enumerable.Range('!', '~' - '!' + 1));
        printable.AddRange(Enumerable.Range('¡', '¬' - '¡' + 1));
        printable.AddRange(Enumerable.Range('®', 'ÿ' - '®' + 1));

        var bytesInIdOrder = new List<int>(printable);
        var chars = printable.Select(b => (char)b).ToList();
        var next = 256;
        for (var b = 0; b < 256; b++)
        {
            if (!printable.Contains(b))
            {
                bytesInIdOrder.Add(b);
                chars.Add((char)next++);
            }
        }

        var idOfByte = new int[256];
        for (var id = 0; id < 256; id++)
        {
            idOfByte[bytesInIdOrder[id]] = id;
        }

        IdOfByte = idOfByte;
        CharOfId = chars;
    }
}
