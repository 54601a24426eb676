namespace ComfySnap.Diffusion.Text;

/// <summary>The worker's one CLIP tokenizer: the shipped BPE vocabulary, read on first use (at boot when a checkpoint is preloaded).</summary>
public sealed class ClipTokenizerProvider
{
    private readonly Lazy<SdTokenizer> _tokenizer = new(() => new SdTokenizer(ClipBpe.LoadDefault()));
    private readonly Lazy<SdTokenizer> _zeroPadded;

    public ClipTokenizerProvider() => _zeroPadded = new(() => _tokenizer.Value.WithPad(0));

    public SdTokenizer Tokenizer => _tokenizer.Value;

    /// <summary>The same vocabulary padding with 0: SDXL's CLIP-G tokenizer.</summary>
    public SdTokenizer ZeroPaddedTokenizer => _zeroPadded.Value;
}
