using ComfySnap.Diffusion.Models;
using ComfySnap.Tests.Diffusion.Support;
using ComfySnap.Tests.Engine.Support;
using ComfySnap.Diffusion.Models.StableDiffusion.ControlNet;
using Microsoft.Extensions.DependencyInjection;
using static TorchSharp.torch;

namespace ComfySnap.Tests.Diffusion;

/// <summary>
/// ControlNets with a bf16 UNet compute in bfloat16 too (ComfyUI loads them in the UNet's dtype)
/// and render close to fp32.
/// </summary>
public sealed class Bf16ControlNetTests(ControlNetFixture fixture, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<ControlNetFixture>
{
    [Fact]
    public async Task Chained_controlnets_on_a_bf16_unet_compute_in_bf16_and_render_close_to_fp32()
    {
        await using var bf16 = await EngineHarness.StartAsync(
            root =>
            {
                foreach (var image in Directory.GetFiles(Path.Combine(ControlNetFixture.FixtureDirectory, "inputs"), "*.png"))
                {
                    File.Copy(image, Path.Combine(root, "input", Path.GetFileName(image)));
                }
            },
            new Dictionary<string, string?>
            {
                ["Models:Roots:checkpoints"] = Path.Combine(Path.GetDirectoryName(fixture.ControlNetDirectory)!, "checkpoints"),
                ["Models:Roots:controlnet"] = fixture.ControlNetDirectory,
                ["Models:UnetDtype"] = UnetDtype.Bf16,
                ["Engine:NodeCacheBytes"] = "0",
            });
        var workflow = await File.ReadAllTextAsync(Path.Combine(ControlNetFixture.FixtureDirectory, "cases", "cn-chained.json"));

        var fp32Pngs = (await fixture.Engine.RunAsync(workflow)).Outputs.Select(o => o.Artifact.Bytes.ToArray()).ToList();
        var bf16Pngs = (await bf16.RunAsync(workflow)).Outputs.Select(o => o.Artifact.Bytes.ToArray()).ToList();

        var net = await bf16.Services.GetRequiredService<ModelStore>().LoadAsync<ControlNetFile>(ModelKinds.ControlNet, ControlNetFixture.Net, CancellationToken.None);
        Assert.Equal(ScalarType.BFloat16, net.Model.Dtype);
        Assert.Equal(fp32Pngs.Count, bf16Pngs.Count);
        for (var i = 0; i < fp32Pngs.Count; i++)
        {
            var (max, mean) = PixelComparison.Compare(fp32Pngs[i], bf16Pngs[i]);
            output.WriteLine($"cn-chained image {i} bf16 vs fp32: max |diff| {max}, mean {mean:F4}");
            Bf16Tolerance.Assert(max, mean);
        }
    }
}
