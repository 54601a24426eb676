using System.Diagnostics;
using ComfySnap.Diffusion.Text;
using Xunit.Abstractions;

namespace ComfySnap.Tests.Text;

public sealed class SdTokenizerTests(ITestOutputHelper output)
{
    private readonly SdTokenizer tokenizer = new(TokenizerFixture.Bpe);

    [Fact]
    public void An_empty_prompt_is_one_window_of_start_end_and_padding()
    {
        var window = Assert.Single(tokenizer.TokenizeWithWeights(""));

        Assert.Equal(SdTokenizer.WindowLength, window.Count);
        Assert.Equal(new WeightedToken(SdTokenizer.StartToken, 1.0), window[0]);
        Assert.All(window.Skip(1), t => Assert.Equal(new WeightedToken(SdTokenizer.EndToken, 1.0), t));
    }

    [Fact]
    public void Weighted_tokens_carry_their_pieces_weight_and_start_end_stay_at_one()
    {
        var window = Assert.Single(tokenizer.TokenizeWithWeights("a (cat:1.5)"));

        Assert.Equal([1.0, 1.0, 1.5, 1.0], window.Take(4).Select(t => t.Weight));
        Assert.Equal(TokenizerFixture.Bpe.Encode("cat")[0], window[2].Id);
    }

    [Fact]
    public void Every_window_is_77_tokens_from_start_to_end()
    {
        var windows = tokenizer.TokenizeWithWeights(string.Join(' ', Enumerable.Repeat("(a b c d e f g h i j:0.8) k,", 30)));

        Assert.True(windows.Count > 2);
        Assert.All(windows, w =>
        {
            Assert.Equal(SdTokenizer.WindowLength, w.Count);
            Assert.Equal(SdTokenizer.StartToken, w[0].Id);
            Assert.Contains(w, t => t.Id == SdTokenizer.EndToken);
        });
    }

    [Fact]
    public void A_300_word_prompt_tokenizes_in_well_under_a_millisecond()
    {
        var words = "masterpiece best quality (detailed:1.2) portrait of a girl, ((sunset)), ocean waves, cinematic lighting,".Split(' ');
        var prompt = string.Join(' ', Enumerable.Range(0, 300).Select(i => words[i % words.Length]));
        for (var i = 0; i < 50; i++)
        {
            tokenizer.TokenizeWithWeights(prompt);
        }

        var runs = Enumerable.Range(0, 200).Select(_ =>
        {
            var watch = Stopwatch.StartNew();
            tokenizer.TokenizeWithWeights(prompt);
            return watch.Elapsed.TotalMilliseconds;
        }).Order().ToArray();

        output.WriteLine($"300 words: median {runs[100] * 1000:F0} us, p90 {runs[180] * 1000:F0} us");
        Assert.True(runs[100] < 1.0, $"median {runs[100]:F3} ms");
    }

    [Fact]
    public void Concurrent_use_gives_the_same_tokens_as_sequential_use()
    {
        var bpe = ClipBpe.LoadDefault();  // a cold cache, so threads race to fill it
        var prompts = Enumerable.Range(0, 64).Select(i => $"prompt {i} with (words:1.{i % 9}) like w{i}x{i * 7} and ünï{i}").ToArray();
        var sequential = prompts.Select(new SdTokenizer(TokenizerFixture.Bpe).TokenizeWithWeights).ToArray();

        var shared = new SdTokenizer(bpe);
        var parallel = new IReadOnlyList<IReadOnlyList<WeightedToken>>[prompts.Length];
        Parallel.For(0, prompts.Length * 4, new ParallelOptions { MaxDegreeOfParallelism = 8 },
            i => parallel[i % prompts.Length] = shared.TokenizeWithWeights(prompts[i % prompts.Length]));

        for (var i = 0; i < prompts.Length; i++)
        {
            Assert.Equal(sequential[i].SelectMany(w => w), parallel[i].SelectMany(w => w));
        }
    }
}
