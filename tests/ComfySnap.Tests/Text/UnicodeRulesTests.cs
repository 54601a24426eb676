using System.Text;
using System.Text.Json;
using ComfySnap.Diffusion.Text;

namespace ComfySnap.Tests.Text;

/// <summary>
/// The Unicode rules the tokenizer relies on, over every code point, against what Python (the
/// reference's regex module and str methods) says. A .NET whose Unicode data differs shows here.
/// </summary>
public sealed class UnicodeRulesTests
{
    private const int CodePointCount = 0x110000;

    private static readonly JsonElement Fixture = TokenizerFixture.Load("unicode_fixture.json");

    [Fact]
    public void Letters_and_numbers_are_those_of_the_regex_module()
    {
        var letters = Members(Fixture.GetProperty("letter_ranges"));
        var numbers = Members(Fixture.GetProperty("number_ranges"));
        var wrong = new List<string>();
        foreach (var rune in AllRunes())
        {
            if (ClipWordSplitter.IsLetter(rune) != letters[rune.Value] || ClipWordSplitter.IsNumber(rune) != numbers[rune.Value])
            {
                wrong.Add($"U+{rune.Value:X4}");
            }
        }

        Assert.True(wrong.Count == 0, $"{wrong.Count} code points classified differently: {string.Join(' ', wrong.Take(20))}");
    }

    [Fact]
    public void White_space_is_pythons()
    {
        var regexSpace = TokenizerFixture.Ints(Fixture.GetProperty("regex_space")).ToHashSet();
        var pythonSpace = TokenizerFixture.Ints(Fixture.GetProperty("python_space")).ToHashSet();

        Assert.Equal(regexSpace, Enumerable.Range(0, CodePointCount).Where(ClipWordSplitter.IsWhiteSpaceProperty).ToHashSet());
        Assert.Equal(pythonSpace, Enumerable.Range(0, 0x10000).Where(cp => PythonText.IsSpace((char)cp)).ToHashSet());
        Assert.DoesNotContain(pythonSpace, cp => cp >= 0x10000);
    }

    [Fact]
    public void Lower_case_is_pythons_for_every_code_point()
    {
        var changed = Fixture.GetProperty("lower_changed").EnumerateArray().ToDictionary(e => e[0].GetInt32(), e => e[1].GetString()!);
        var wrong = new List<string>();
        foreach (var rune in AllRunes())
        {
            var text = rune.ToString();
            if (PythonText.Lower(text) != changed.GetValueOrDefault(rune.Value, text))
            {
                wrong.Add($"U+{rune.Value:X4}");
            }
        }

        Assert.True(wrong.Count == 0, $"{wrong.Count} code points lower-cased differently: {string.Join(' ', wrong.Take(20))}");
    }

    [Fact]
    public void Capital_sigma_takes_its_final_form_where_python_gives_it()
    {
        foreach (var pair in Fixture.GetProperty("lower_strings").EnumerateArray())
        {
            Assert.Equal(pair[1].GetString(), PythonText.Lower(pair[0].GetString()!));
        }
    }

    [Fact]
    public void Nfc_matches_pythons_unicodedata()
    {
        var wrong = new List<string>();
        foreach (var pair in Fixture.GetProperty("nfc").EnumerateArray())
        {
            var input = pair[0].GetString()!;
            if (UnicodeNfc.Normalize(input) != pair[1].GetString())
            {
                wrong.Add(string.Join(' ', input.EnumerateRunes().Select(r => $"{r.Value:X4}")));
            }
        }

        Assert.True(wrong.Count == 0, $"{wrong.Count} strings normalised differently: {string.Join(", ", wrong.Take(20))}");
    }

    [Fact]
    public void Text_already_in_nfc_is_returned_as_is()
    {
        const string text = "plain ascii, café, 日本語, 🐱";

        Assert.Same(text, UnicodeNfc.Normalize(text));
    }

    private static IEnumerable<Rune> AllRunes() =>
        Enumerable.Range(0, CodePointCount).Where(Rune.IsValid).Select(cp => new Rune(cp));

    private static bool[] Members(JsonElement ranges)
    {
        var members = new bool[CodePointCount];
        foreach (var range in ranges.EnumerateArray())
        {
            for (var cp = range[0].GetInt32(); cp <= range[1].GetInt32(); cp++)
            {
                members[cp] = true;
            }
        }

        return members;
    }
}
