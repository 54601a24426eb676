namespace ComfySnap.Diffusion.Text;

/// <summary>The worker's one CLIP tokenizer: the shipped BPE vocabulary, read on first use (at boot when a checkpoint is preloaded).</summary>
public sealed class ClipTokenizerProvider
{
    private readonly Lazy<SdTokenizer> _tokenizer = new(() => new SdTokenizer(ClipBpe.LoadDefault()));

    public SdTokenizer Tokenizer => _tokenizer.Value;
}
