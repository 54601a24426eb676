namespace ComfySnap.Diffusion.Text;

/// <summary>
/// ComfyUI's SD1 prompt tokenizer (sd1_clip.py SDTokenizer.tokenize_with_weights; sdref): emphasis
/// weights, embedding references dropped, CLIP BPE per piece, then windows of 77 tokens. Thread-safe.
/// <paramref name="padToken"/> fills each window after its end token: the end token itself for
/// SD 1.x and SDXL's CLIP-L, 0 for SDXL's CLIP-G (sdxl_clip.py SDXLClipGTokenizer, pad_with_end=False).
/// </summary>
public sealed class SdTokenizer(ClipBpe bpe, int padToken = ClipBpe.EndOfText)
{
    /// <summary>Tokens per window: start, up to 75 prompt tokens, end, padding.</summary>
    public const int WindowLength = 77;

    /// <summary>A piece of at least this many tokens is split across windows; a shorter one moves whole.</summary>
    public const int MaxWordLength = 8;

    public const int StartToken = ClipBpe.StartOfText;
    public const int EndToken = ClipBpe.EndOfText;
    public const int PadToken = ClipBpe.EndOfText;

    private static readonly WeightedToken Start = new(StartToken, 1.0);
    private static readonly WeightedToken End = new(EndToken, 1.0);
    private readonly WeightedToken _pad = new(padToken, 1.0);

    /// <summary>The token after a window's end token.</summary>
    public int Pad => padToken;

    /// <summary>A tokenizer over the same vocabulary that pads with <paramref name="pad"/>.</summary>
    public SdTokenizer WithPad(int pad) => new(bpe, pad);

    /// <summary>
    /// The prompt as windows of exactly 77 weighted tokens; an empty prompt gives one window
    /// (start, end, padding).
    /// </summary>
    public IReadOnlyList<IReadOnlyList<WeightedToken>> TokenizeWithWeights(string text)
    {
        var windows = new List<IReadOnlyList<WeightedToken>>();
        var window = new List<WeightedToken>(WindowLength) { Start };
        foreach (var group in Groups(text))
        {
            var isLarge = group.Length >= MaxWordLength;
            var next = 0;
            while (next < group.Length)
            {
                var left = group.Length - next;
                if (left + window.Count <= WindowLength - 1)
                {
                    window.AddRange(group.AsSpan(next));
                    break;
                }

                // It does not fit: a large piece fills this window and goes on in the next one, a
                // small one moves whole to the next one (this one is closed with end and padding).
                var room = WindowLength - window.Count - 1;
                if (isLarge)
                {
                    window.AddRange(group.AsSpan(next, room));
                    window.Add(End);
                    next += room;
                }
                else
                {
                    window.Add(End);
                    window.AddRange(Enumerable.Repeat(_pad, room));
                }

                windows.Add(window);
                window = new List<WeightedToken>(WindowLength) { Start };
            }
        }

        window.Add(End);
        window.AddRange(Enumerable.Repeat(_pad, WindowLength - window.Count));
        windows.Add(window);
        return windows;
    }

    /// <summary>Each text piece's tokens, all with the piece's weight: BPE never crosses a piece boundary.</summary>
    private IEnumerable<WeightedToken[]> Groups(string text)
    {
        foreach (var piece in PromptWeights.Parse(text))
        {
            foreach (var words in EmbeddingReferences.TextsWithoutEmbeddings(piece.Text))
            {
                var ids = bpe.Encode(words);
                var group = new WeightedToken[ids.Count];
                for (var i = 0; i < group.Length; i++)
                {
                    group[i] = new WeightedToken(ids[i], piece.Weight);
                }

                yield return group;
            }
        }
    }
}
