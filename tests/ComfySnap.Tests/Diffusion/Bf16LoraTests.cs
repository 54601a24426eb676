using ComfySnap.Diffusion.Models;
using ComfySnap.Tests.Diffusion.Support;
using ComfySnap.Tests.Engine.Support;

namespace ComfySnap.Tests.Diffusion;

/// <summary>
/// A LoRA on a bf16 UNet: the patched weights stay bfloat16 (a float32 copy would mix dtypes
/// inside a layer; ComfyUI casts patched weights back too) and render close to fp32.
/// </summary>
public sealed class Bf16LoraTests(LoraFixture fixture, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<LoraFixture>
{
    [Fact]
    public async Task A_lora_on_a_bf16_unet_renders_close_to_fp32()
    {
        var settings = fixture.Settings(0);
        settings["Models:UnetDtype"] = UnetDtype.Bf16;
        await using var bf16 = await EngineHarness.StartAsync(settings: settings);
        var workflow = LoraWorkflow.Txt2Img([new LoraStep(LoraFixture.Broad, 1.0, 1.0)]);

        var fp32Png = (await fixture.Engine.RunAsync(workflow)).Outputs.Single().Artifact.Bytes.ToArray();
        var bf16Png = (await bf16.RunAsync(workflow)).Outputs.Single().Artifact.Bytes.ToArray();

        var (max, mean) = PixelComparison.Compare(fp32Png, bf16Png);
        output.WriteLine($"LoRA bf16 vs fp32: max |diff| {max}, mean {mean:F4}");
        Bf16Tolerance.Assert(max, mean);
    }
}
