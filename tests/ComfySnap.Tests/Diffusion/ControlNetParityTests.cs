using System.Text.Json.Nodes;
using ComfySnap.Diffusion.Models;
using ComfySnap.Diffusion.Models.StableDiffusion.ControlNet;
using ComfySnap.Tests.Diffusion.Support;
using static TorchSharp.torch;

namespace ComfySnap.Tests.Diffusion;

/// <summary>
/// ControlNet against the reference (Fixtures/controlnet: lllyasviel's ControlNet module driven
/// with ComfyUI's rules over sdref's SD 1.x pipeline): each workflow renders the reference's PNGs
/// within max |diff| &lt;= 3 and mean &lt;= 0.5 on 0..255, and the model's residuals for fixed
/// inputs match the upstream module's. The cases: ControlNetApplyAdvanced at strength 0.8 in a
/// 0.2-0.9 window, ControlNetApply (given to the negative too), two chained ControlNets, and a
/// control image of another size and aspect than a batch-2 output.
/// </summary>
public sealed class ControlNetParityTests(ControlNetFixture fixture, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<ControlNetFixture>
{
    private const double MaxTolerance = 3;
    private const double MeanTolerance = 0.5;

    public static TheoryData<string> Cases => [.. Directory.GetFiles(CasesDirectory, "*.json").Select(f => Path.GetFileNameWithoutExtension(f)!).Order(StringComparer.Ordinal)];

    private static string CasesDirectory => Path.Combine(ControlNetFixture.FixtureDirectory, "cases");

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Renders_the_reference_pixels(string name)
    {
        var result = await fixture.Engine.RunAsync(await File.ReadAllTextAsync(Path.Combine(CasesDirectory, name + ".json")));

        var expectedFiles = Directory.GetFiles(Path.Combine(ControlNetFixture.FixtureDirectory, "expected", name), "*.png").Order(StringComparer.Ordinal).ToList();
        var produced = result.Outputs.Select(o => o.Artifact).ToList();
        Assert.Equal(expectedFiles.Count, produced.Count);
        for (var i = 0; i < produced.Count; i++)
        {
            var (max, mean) = PixelComparison.Compare(await File.ReadAllBytesAsync(expectedFiles[i]), produced[i].Bytes.ToArray());
            output.WriteLine($"{name} image {i}: max |diff| {max}, mean {mean:F4}");
            Assert.True(max <= MaxTolerance && mean <= MeanTolerance, $"{name} image {i}: max |diff| {max}, mean {mean:F4} (tolerance {MaxTolerance} / {MeanTolerance})");
        }
    }

    [Fact]
    public void Residuals_match_the_upstream_controlnet_module()
    {
        using var scope = NewDisposeScope();
        var reference = MappedSafetensors.Read(Path.Combine(ControlNetFixture.FixtureDirectory, "forward.safetensors"));
        using var file = ControlNetFile.Load(fixture.PathOf(ControlNetFixture.NetSeed1), conversionDirectory: null);

        using var residuals = file.Model.Forward(reference["x"], reference["hint"], reference["timesteps"], reference["context"]);

        var pairs = residuals.Skips.Select((s, i) => (Name: $"skip.{i}", Actual: s)).Append(("middle", residuals.Middle)).ToList();
        Assert.Equal(reference.Keys.Count(k => k.StartsWith("skip.", StringComparison.Ordinal)), residuals.Skips.Count);
        foreach (var (name, actual) in pairs)
        {
            var expected = reference[name];
            var diff = (expected - actual).abs().max().item<float>();
            var scale = expected.abs().max().item<float>();
            output.WriteLine($"{name} {string.Join('x', expected.shape)}: max |diff| {diff:E2} (max |value| {scale:F3})");
            Assert.True(diff <= 1e-4 * Math.Max(1, scale), $"{name}: max |diff| {diff}");
        }
    }

    [Fact]
    public async Task The_controlnet_changes_the_image_and_strength_0_or_an_empty_window_leaves_it_as_without()
    {
        var workflow = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(CasesDirectory, "cn-advanced-window.json")))!;
        var without = workflow.DeepClone();
        without["3"]!["inputs"]!["positive"] = new JsonArray("6", 0);
        without["3"]!["inputs"]!["negative"] = new JsonArray("7", 0);
        var strength0 = workflow.DeepClone();
        strength0["12"]!["inputs"]!["strength"] = 0.0;
        var emptyWindow = workflow.DeepClone();
        emptyWindow["12"]!["inputs"]!["start_percent"] = 1.0;

        var plain = await Render(without);
        var controlled = await Render(workflow);

        var (max, mean) = PixelComparison.Compare(plain, controlled);
        output.WriteLine($"with vs without the ControlNet: max |diff| {max}, mean {mean:F2}");
        Assert.True(mean > 2 && max > 20, $"the ControlNet barely changes the image (mean |diff| {mean})");
        Assert.Equal(plain, await Render(strength0));
        Assert.Equal(plain, await Render(emptyWindow));
    }

    private async Task<byte[]> Render(JsonNode workflow)
    {
        var result = await fixture.Engine.RunAsync(workflow.ToJsonString());
        return Assert.Single(result.Outputs).Artifact.Bytes.ToArray();
    }
}
