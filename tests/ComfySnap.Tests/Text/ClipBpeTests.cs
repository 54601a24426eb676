using System.Diagnostics;
using System.Text.Json;
using ComfySnap.Diffusion.Text;
using Xunit.Abstractions;

namespace ComfySnap.Tests.Text;

public sealed class ClipBpeTests(ITestOutputHelper output)
{
    private static readonly JsonElement Fixture = TokenizerFixture.Load("tokenizer_fixture.json");

    public static TheoryData<int> CaseIndices() => new(Enumerable.Range(0, Fixture.GetProperty("cases").GetArrayLength()));

    [Theory]
    [MemberData(nameof(CaseIndices))]
    public void Ids_match_the_reference(int index)
    {
        var entry = Fixture.GetProperty("cases")[index];
        var prompt = entry.GetProperty("prompt").GetString()!;

        Assert.Equal(TokenizerFixture.Ints(entry.GetProperty("bpe")), TokenizerFixture.Bpe.Encode(prompt));
    }

    [Fact]
    public void Special_words_and_plain_words_get_clips_ids()
    {
        Assert.Equal([ClipBpe.StartOfText, 1883, ClipBpe.EndOfText], TokenizerFixture.Bpe.Encode("<|startoftext|> hi <|endoftext|>"));
        Assert.Equal([2368], TokenizerFixture.Bpe.Encode("  CAT\n"));
    }

    [Fact]
    public void The_shipped_merges_file_loads_and_encodes()
    {
        var watch = Stopwatch.StartNew();
        var bpe = ClipBpe.LoadDefault();
        watch.Stop();

        output.WriteLine($"loaded {ClipBpe.DefaultPath} in {watch.Elapsed.TotalMilliseconds:F1} ms");
        // Its load time is printed, not asserted: a timed unit test fails on a loaded machine, not on a slow load.
        Assert.Equal([2368], bpe.Encode("cat"));
    }

    [Fact]
    public void A_missing_merges_file_is_named_in_the_error()
    {
        var missing = Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N"), ClipBpe.FileName);

        var error = Assert.ThrowsAny<IOException>(() => new ClipBpe(missing));

        Assert.Contains(Path.GetFileName(missing), error.Message, StringComparison.Ordinal);
    }
}
