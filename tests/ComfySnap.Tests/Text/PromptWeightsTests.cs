using ComfySnap.Diffusion.Text;

namespace ComfySnap.Tests.Text;

public sealed class PromptWeightsTests
{
    [Fact]
    public void Each_level_of_parentheses_multiplies_by_one_point_one()
    {
        var pieces = PromptWeights.Parse("a (b) ((c))");

        Assert.Equal([new("a ", 1.0), new("b", 1.1), new(" ", 1.0), new("c", 1.1 * 1.1)], pieces);
    }

    [Fact]
    public void An_explicit_weight_replaces_the_outer_one_instead_of_multiplying()
    {
        var pieces = PromptWeights.Parse("(a (b:0.5) c:1.3)");

        Assert.Equal([new("a ", 1.3), new("b", 0.5), new(" c", 1.3)], pieces);
    }

    [Fact]
    public void Parentheses_inside_an_explicit_weight_multiply_it()
    {
        var pieces = PromptWeights.Parse("((a):2)");

        Assert.Equal([new("a", 2 * 1.1)], pieces);
    }

    [Fact]
    public void A_suffix_that_is_no_number_keeps_the_text_and_the_emphasis()
    {
        Assert.Equal([new("word:abc", 1.1)], PromptWeights.Parse("(word:abc)"));
        Assert.Equal([new(":1.2", 1.1)], PromptWeights.Parse("(:1.2)"));  // a colon first is text
    }

    [Fact]
    public void Escaped_parentheses_are_literal_text()
    {
        var pieces = PromptWeights.Parse(@"\(a\) (b \(c\):1.5)");

        Assert.Equal([new("(a) ", 1.0), new("b (c)", 1.5)], pieces);
    }

    [Fact]
    public void Square_brackets_and_unmatched_parentheses_are_plain_text()
    {
        Assert.Equal([new("[a]", 1.0)], PromptWeights.Parse("[a]"));
        Assert.Equal([new("(a", 1.0)], PromptWeights.Parse("(a"));
        Assert.Equal(["a)(b)"], PromptWeights.SplitTopLevelGroups("a)(b)"));
    }

    [Fact]
    public void Nesting_deeper_than_python_could_recurse_is_refused()
    {
        var deep = new string('(', PromptWeights.MaxNesting + 1) + "a" + new string(')', PromptWeights.MaxNesting + 1);

        Assert.Throws<ArgumentException>(() => PromptWeights.Parse(deep));
        Assert.Single(PromptWeights.Parse(deep[1..^1]));
    }
}
