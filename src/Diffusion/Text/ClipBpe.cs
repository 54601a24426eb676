using System.Collections.Concurrent;
using System.Text;

namespace ComfySnap.Diffusion.Text;

/// <summary>
/// OpenAI CLIP's byte-level BPE as transformers' CLIPTokenizer applies it for ComfyUI (sdref
/// CLIPBPE): normalise, split into words, BPE each word's UTF-8 bytes. Thread-safe; words already
/// seen come from a cache.
/// </summary>
public sealed class ClipBpe
{
    public const string FileName = "bpe_simple_vocab_16e6.txt.gz";
    public const int StartOfText = 49406;
    public const int EndOfText = 49407;
    public const int VocabularySize = 49408;

    private const string StartOfTextWord = "<|startoftext|>";
    private const string EndOfTextWord = "<|endoftext|>";

    // Prompts are unbounded user text: the cache is emptied rather than allowed to grow forever.
    private const int MaxCachedWords = 100_000;

    private readonly ClipMergeTable merges;
    private readonly ConcurrentDictionary<string, int[]> cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> cacheBySpan;

    /// <summary>Reads the gzipped merges file at <paramref name="path"/>.</summary>
    public ClipBpe(string path)
        : this(ReadFile(path))
    {
    }

    /// <summary>Reads a gzipped merges file from <paramref name="gzipped"/> (left open).</summary>
    public ClipBpe(Stream gzipped)
        : this(ClipMergeTable.Read(gzipped))
    {
    }

    private ClipBpe(ClipMergeTable merges)
    {
        this.merges = merges;
        cacheBySpan = cache.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>Where <see cref="LoadDefault"/> looks: data/clip/ next to the worker's assemblies.</summary>
    public static string DefaultPath => Path.Combine(AppContext.BaseDirectory, "data", "clip", FileName);

    /// <summary>Loads the merges file shipped with the worker (<see cref="DefaultPath"/>).</summary>
    public static ClipBpe LoadDefault()
    {
        var path = DefaultPath;
        if (!File.Exists(path))
        {
            throw new FileNotFoundException(
                $"CLIP's BPE merges file is missing: expected {path} (the Worker build copies it there from src/Worker/Text/Data/clip/)",
                path);
        }

        return new ClipBpe(path);
    }

    /// <summary>Token ids of <paramref name="text"/> without start/end tokens (sdref CLIPBPE.encode).</summary>
    public IReadOnlyList<int> Encode(string text)
    {
        var ids = new List<int>();
        var normalized = ClipTextNormalizer.Normalize(text);
        foreach (var word in ClipWordSplitter.Split(normalized))
        {
            ids.AddRange(EncodeWord(normalized.AsSpan(word.Start, word.Length)));
        }

        return ids;
    }

    private int[] EncodeWord(ReadOnlySpan<char> word)
    {
        if (cacheBySpan.TryGetValue(word, out var cached))
        {
            return cached;
        }

        // Only the exact special words map to their ids (CLIPBPE's cache starts with them).
        int[] ids = word switch
        {
            StartOfTextWord => [StartOfText],
            EndOfTextWord => [EndOfText],
            _ => Merge(Encoding.UTF8.GetBytes(word.ToArray())),
        };
        if (cache.Count >= MaxCachedWords)
        {
            cache.Clear();
        }

        cache.TryAdd(word.ToString(), ids);
        return ids;
    }

    /// <summary>
    /// BPE of one word: start from its bytes (the last one marked as ending the word), then merge
    /// the lowest-ranked adjacent pair everywhere, left to right, until no known pair is left.
    /// </summary>
    private int[] Merge(byte[] utf8)
    {
        var symbols = new int[utf8.Length];
        for (var i = 0; i < utf8.Length; i++)
        {
            symbols[i] = ClipByteAlphabet.IdOfByte[utf8[i]];
        }

        symbols[^1] += 256;
        var count = symbols.Length;
        while (count > 1)
        {
            var best = int.MaxValue;
            for (var i = 0; i + 1 < count; i++)
            {
                if (merges.TryGetRank(symbols[i], symbols[i + 1], out var rank) && rank < best)
                {
                    best = rank;
                }
            }

            if (best == int.MaxValue)
            {
                break;
            }

            count = MergeEverywhere(symbols, count, best);
        }

        return symbols[..count];
    }

    private int MergeEverywhere(int[] symbols, int count, int rank)
    {
        var (left, right) = merges.PairOf(rank);
        var written = 0;
        for (var i = 0; i < count; i++)
        {
            if (i + 1 < count && symbols[i] == left && symbols[i + 1] == right)
            {
                symbols[written++] = ClipMergeTable.FirstMergeId + rank;
                i++;
            }
            else
            {
                symbols[written++] = symbols[i];
            }
        }

        return written;
    }

    private static ClipMergeTable ReadFile(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        return ClipMergeTable.Read(file);
    }
}
