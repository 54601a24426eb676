using ComfySnap.Tests.Diffusion.Support;

namespace ComfySnap.Tests.Diffusion;

/// <summary>
/// SDXL end-to-end parity: every workflow in Fixtures/sdxl-goldens (ComfyUI API format, loading
/// sdref-sdxl-tiny.safetensors) rendered by the worker's engine from the generated sdxl-tiny
/// checkpoint gives the PNGs the reference computed, within max |diff| &lt;= 3 and mean |diff|
/// &lt;= 0.5 on 0..255. New cases dropped into that folder are picked up by themselves.
/// </summary>
public sealed class SdxlGoldenParityTests(SdxlEngineFixture sdxl, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<SdxlEngineFixture>
{
    private const double MaxTolerance = 3;
    private const double MeanTolerance = 0.5;

    public static TheoryData<string> Cases => [.. Directory.GetFiles(GoldensDirectory, "*.json")
        .Where(f => Path.GetFileName(f) != "manifest.json")
        .Select(f => Path.GetFileNameWithoutExtension(f)!)
        .Order(StringComparer.Ordinal)];

    private static string GoldensDirectory => Path.Combine(AppContext.BaseDirectory, "Diffusion", "Fixtures", "sdxl-goldens");

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Renders_the_reference_pixels(string name)
    {
        var workflow = await File.ReadAllTextAsync(Path.Combine(GoldensDirectory, name + ".json"));
        var result = await sdxl.Engine.RunAsync(workflow);

        var expectedFiles = Directory.GetFiles(Path.Combine(GoldensDirectory, "expected", name), "*.png").Order(StringComparer.Ordinal).ToList();
        var produced = result.Outputs.Select(o => o.Artifact).ToList();
        Assert.NotEmpty(expectedFiles);
        Assert.Equal(expectedFiles.Count, produced.Count);
        for (var i = 0; i < produced.Count; i++)
        {
            var (max, mean) = PixelComparison.Compare(await File.ReadAllBytesAsync(expectedFiles[i]), produced[i].Bytes.ToArray());
            output.WriteLine($"{name} image {i}: max |diff| {max}, mean {mean:F4}");
            Assert.True(max <= MaxTolerance && mean <= MeanTolerance, $"{name} image {i}: max |diff| {max}, mean {mean:F4} (tolerance {MaxTolerance} / {MeanTolerance})");
        }
    }

    [Fact]
    public async Task Base_split_in_two_advanced_samplers_with_leftover_noise_matches_one_run()
    {
        // Steps 0-2 returning with leftover noise, then 2-end without adding noise, against one KSampler.
        var twoStage = await sdxl.Engine.RunAsync(await File.ReadAllTextAsync(Path.Combine(GoldensDirectory, "sdxl-tiny-advanced-two-stage.json")));
        var oneStage = await sdxl.Engine.RunAsync(await File.ReadAllTextAsync(Path.Combine(GoldensDirectory, "sdxl-tiny-advanced-one-stage.json")));
        var (max, mean) = PixelComparison.Compare(Assert.Single(oneStage.Outputs).Artifact.Bytes.ToArray(), Assert.Single(twoStage.Outputs).Artifact.Bytes.ToArray());
        output.WriteLine($"two-stage vs one run: max |diff| {max}, mean {mean:F4}");
        Assert.True(max <= MaxTolerance && mean <= MeanTolerance, $"max |diff| {max}, mean {mean:F4}");
    }
}
