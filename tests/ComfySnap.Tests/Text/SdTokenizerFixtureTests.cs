using System.Text.Json;
using ComfySnap.Diffusion.Text;

namespace ComfySnap.Tests.Text;

/// <summary>The C# tokenizer against the Python reference's output for the same prompts.</summary>
public sealed class SdTokenizerFixtureTests
{
    private static readonly JsonElement Fixture = TokenizerFixture.Load("tokenizer_fixture.json");

    public static TheoryData<int> CaseIndices() => new(Enumerable.Range(0, Fixture.GetProperty("cases").GetArrayLength()));

    public static TheoryData<int> GoldenIndices() => new(Enumerable.Range(0, Fixture.GetProperty("golden_cases").GetArrayLength()));

    public static TheoryData<int> FloatIndices() => new(Enumerable.Range(0, Fixture.GetProperty("floats").GetArrayLength()));

    [Fact]
    public void The_fixture_covers_every_kind_of_prompt_the_brief_lists() =>
        Assert.True(Fixture.GetProperty("cases").GetArrayLength() >= 40);

    [Theory]
    [MemberData(nameof(CaseIndices))]
    public void Windows_match_the_reference(int index)
    {
        var entry = Fixture.GetProperty("cases")[index];
        var prompt = entry.GetProperty("prompt").GetString()!;

        var windows = new SdTokenizer(TokenizerFixture.Bpe).TokenizeWithWeights(prompt);

        var expected = entry.GetProperty("windows").EnumerateArray().ToList();
        Assert.Equal(expected.Count, windows.Count);
        for (var w = 0; w < expected.Count; w++)
        {
            var tokens = expected[w].EnumerateArray().Select(t => new WeightedToken(t[0].GetInt32(), TokenizerFixture.Weight(t[1]))).ToList();
            Assert.Equal(tokens.Select(t => t.Id), windows[w].Select(t => t.Id));
            for (var t = 0; t < tokens.Count; t++)
            {
                Assert.True(TokenizerFixture.SameWeight(tokens[t].Weight, windows[w][t].Weight),
                    $"window {w} token {t}: weight {windows[w][t].Weight}, expected {tokens[t].Weight}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(GoldenIndices))]
    public void Golden_case_prompts_give_the_token_ids_in_the_cases_manifest(int index)
    {
        // Copied by the fixture script from sdref/cases/manifest.json and the case workflows.
        var entry = Fixture.GetProperty("golden_cases")[index];
        var prompt = entry.GetProperty("prompt").GetString()!;

        var windows = new SdTokenizer(TokenizerFixture.Bpe).TokenizeWithWeights(prompt);

        var expected = entry.GetProperty("tokens").EnumerateArray().Select(TokenizerFixture.Ints).ToList();
        Assert.Equal(expected.Count, windows.Count);
        for (var w = 0; w < expected.Count; w++)
        {
            Assert.Equal(expected[w], windows[w].Select(t => t.Id));
        }
    }

    [Theory]
    [MemberData(nameof(FloatIndices))]
    public void Weights_parse_as_pythons_float_does(int index)
    {
        var entry = Fixture.GetProperty("floats")[index];
        var text = entry[0].GetString()!;

        var parsed = PythonFloat.TryParse(text, out var value);

        Assert.Equal(entry[1].ValueKind != JsonValueKind.Null, parsed);
        if (parsed)
        {
            var expected = TokenizerFixture.Weight(entry[1]);
            Assert.True(expected.Equals(value), $"float({text}) = {expected}, got {value}");
        }
    }
}
