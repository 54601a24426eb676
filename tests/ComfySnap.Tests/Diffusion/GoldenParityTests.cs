using ComfySnap.Tests.Diffusion.Support;

namespace ComfySnap.Tests.Diffusion;

/// <summary>
/// End-to-end parity: each golden workflow (Fixtures/goldens, ComfyUI API format) rendered by the
/// worker's engine from the tiny checkpoint gives the PNGs the reference computed, within
/// max |diff| &lt;= 3 and mean |diff| &lt;= 0.5 on 0..255. Together the cases cover every
/// implemented sampler and scheduler, cfg 1 and above, negative prompts, emphasis, a prompt of
/// several 77-token windows, CLIPSetLastLayer, batch 2 at a non-square size, img2img with
/// denoise 0.6 and a two-stage KSamplerAdvanced. Regenerate with Fixtures/goldens/README.md.
/// </summary>
public sealed class GoldenParityTests(SdEngineFixture sd, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<SdEngineFixture>
{
    private const double MaxTolerance = 3;
    private const double MeanTolerance = 0.5;

    public static TheoryData<string> Cases => [.. Directory.GetFiles(GoldensDirectory, "tiny-*.json").Select(f => Path.GetFileNameWithoutExtension(f)!).Order(StringComparer.Ordinal)];

    private static string GoldensDirectory => Path.Combine(AppContext.BaseDirectory, "Diffusion", "Fixtures", "goldens");

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Renders_the_reference_pixels(string name)
    {
        var workflow = await File.ReadAllTextAsync(Path.Combine(GoldensDirectory, name + ".json"));
        var result = await sd.Engine.RunAsync(workflow);

        var expectedFiles = Directory.GetFiles(Path.Combine(GoldensDirectory, "expected", name), "*.png").Order(StringComparer.Ordinal).ToList();
        var produced = result.Outputs.Select(o => o.Artifact).ToList();
        Assert.Equal(expectedFiles.Count, produced.Count);
        for (var i = 0; i < produced.Count; i++)
        {
            var (max, mean) = PixelComparison.Compare(await File.ReadAllBytesAsync(expectedFiles[i]), produced[i].Bytes.ToArray());
            output.WriteLine($"{name} image {i}: max |diff| {max}, mean {mean:F4}");
            Assert.True(max <= MaxTolerance && mean <= MeanTolerance, $"{name} image {i}: max |diff| {max}, mean {mean:F4} (tolerance {MaxTolerance} / {MeanTolerance})");
        }
    }
}
