using System.IO.Compression;
using System.Text;

namespace ComfySnap.Diffusion.Text;

/// <summary>
/// CLIP's BPE merges as vocabulary ids. The vocabulary is built as sdref's CLIPBPE builds it: the
/// 256 byte characters (ids 0..255), the same ending a word ("&lt;/w&gt;", 256..511), one entry per
/// merge (512 + rank, the two halves joined), then start/end of text (49406, 49407).
/// </summary>
public sealed class ClipMergeTable
{
    /// <summary>Merges CLIP uses: 49152 - 256 - 2 of the file's lines after its header (the rest are unused).</summary>
    public const int MergeCount = 49152 - 256 - 2;

    /// <summary>Vocabulary id of the first merge result.</summary>
    public const int FirstMergeId = 512;

    private const string EndOfWord = "</w>";

    private readonly Dictionary<long, int> rankOfPair;
    private readonly long[] pairOfRank;

    private ClipMergeTable(Dictionary<long, int> rankOfPair, long[] pairOfRank)
    {
        this.rankOfPair = rankOfPair;
        this.pairOfRank = pairOfRank;
    }

    /// <summary>Reads a gzipped merges file (bpe_simple_vocab_16e6.txt.gz); <paramref name="gzipped"/> is left open.</summary>
    public static ClipMergeTable Read(Stream gzipped)
    {
        using var gzip = new GZipStream(gzipped, CompressionMode.Decompress, leaveOpen: true);
        using var reader = new StreamReader(gzip, Encoding.UTF8, detectEncodingFromByteOrderMarks: false, bufferSize: 1 << 16);
        _ = reader.ReadLine() ?? throw new InvalidDataException("the BPE merges file is empty");

        var idOfSymbol = new Dictionary<string, int>(FirstMergeId + MergeCount, StringComparer.Ordinal);
        var lookup = idOfSymbol.GetAlternateLookup<ReadOnlySpan<char>>();
        for (var id = 0; id < 256; id++)
        {
            var symbol = ClipByteAlphabet.CharOfId[id].ToString();
            idOfSymbol.Add(symbol, id);
            idOfSymbol.Add(symbol + EndOfWord, id + 256);
        }

        var rankOfPair = new Dictionary<long, int>(MergeCount);
        var pairOfRank = new long[MergeCount];
        for (var rank = 0; rank < MergeCount; rank++)
        {
            var line = reader.ReadLine() ?? throw new InvalidDataException($"the BPE merges file ends after {rank} merges; CLIP needs {MergeCount}");
            var space = line.IndexOf(' ', StringComparison.Ordinal);
            if (space <= 0 || space == line.Length - 1 || line.IndexOf(' ', space + 1) >= 0)
            {
                throw new InvalidDataException($"BPE merge {rank + 1} is not two symbols separated by one space: '{line}'");
            }

            var pair = PairKey(SymbolId(lookup, line.AsSpan(0, space), rank), SymbolId(lookup, line.AsSpan(space + 1), rank));
            // Ids equal Python's only while every joined symbol and every pair is new.
            if (!idOfSymbol.TryAdd(line.Remove(space, 1), FirstMergeId + rank) || !rankOfPair.TryAdd(pair, rank))
            {
                throw new InvalidDataException($"BPE merge {rank + 1} ('{line}') repeats an earlier vocabulary entry");
            }

            pairOfRank[rank] = pair;
        }

        return new ClipMergeTable(rankOfPair, pairOfRank);
    }

    /// <summary>Rank of merging <paramref name="left"/> then <paramref name="right"/>; lower merges first.</summary>
    public bool TryGetRank(int left, int right, out int rank) => rankOfPair.TryGetValue(PairKey(left, right), out rank);

    /// <summary>The two symbol ids that merge <paramref name="rank"/> joins.</summary>
    public (int Left, int Right) PairOf(int rank) => ((int)(pairOfRank[rank] >> 32), (int)pairOfRank[rank]);

    private static int SymbolId(Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> lookup, ReadOnlySpan<char> symbol, int rank) =>
        lookup.TryGetValue(symbol, out var id)
            ? id
            : throw new InvalidDataException($"BPE merge {rank + 1} uses '{symbol}', which no earlier line defines");

    private static long PairKey(int left, int right) => ((long)left << 32) | (uint)right;
}
