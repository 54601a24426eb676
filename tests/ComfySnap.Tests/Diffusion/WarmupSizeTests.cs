using ComfySnap.Diffusion.Models.StableDiffusion;
using ComfySnap.Tests.Diffusion.Support;
using ComfySnap.Tests.Engine.Support;
using Microsoft.Extensions.Options;

namespace ComfySnap.Tests.Diffusion;

public sealed class WarmupSizeTests(TinyCheckpointFixture tiny) : IClassFixture<TinyCheckpointFixture>
{
    [Theory]
    [InlineData("512", 512, 512)]
    [InlineData("512x768", 512, 768)]
    [InlineData(" 1024X576 ", 1024, 576)]
    public void Parses_a_side_or_width_by_height(string entry, int width, int height) =>
        Assert.Equal(new WarmupSize(width, height), WarmupSize.Parse(entry));

    [Theory]
    [InlineData("100", "multiples of 8")]
    [InlineData("32", "from 64")]
    [InlineData("8192", "to 4096")]
    [InlineData("512x", "not a size")]
    [InlineData("large", "not a size")]
    [InlineData("-512", "not a size")]
    public void Refuses_what_is_not_a_size_the_models_take(string entry, string reason)
    {
        var error = Assert.Throws<FormatException>(() => WarmupSize.Parse(entry));
        Assert.Contains($"'{entry}'", error.Message);
        Assert.Contains(reason, error.Message);
    }

    [Fact]
    public async Task Each_preloaded_checkpoint_warms_up_at_every_configured_size()
    {
        await using var engine = await StartAsync("64", "96x64");

        var phase = Assert.Single(engine.BootPhases, p => p.Name == "warm-up " + TinyCheckpointFixture.FileName);
        Assert.Equal("64x64, 96x64", phase.Detail);
    }

    [Fact]
    public async Task Without_sizes_the_warm_up_is_one_64_pixel_render()
    {
        await using var engine = await StartAsync();

        Assert.Equal("64x64", Assert.Single(engine.BootPhases, p => p.Name.StartsWith("warm-up", StringComparison.Ordinal)).Detail);
    }

    [Fact]
    public async Task A_bad_size_stops_the_boot_naming_the_setting()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => StartAsync("512", "500"));

        Assert.Contains("Models:WarmupSizes", error.Message);
    }

    private Task<EngineHarness> StartAsync(params string[] sizes)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Models:Roots:checkpoints"] = Path.GetDirectoryName(tiny.Path),
            ["Models:ConvertedDirectory"] = Path.Combine(tiny.ModelsDirectory, ".converted"),
            ["Models:Preload:0"] = "checkpoints/" + TinyCheckpointFixture.FileName,
        };
        for (var i = 0; i < sizes.Length; i++)
        {
            settings[$"Models:WarmupSizes:{i}"] = sizes[i];
        }

        return EngineHarness.StartAsync(settings: settings);
    }
}
