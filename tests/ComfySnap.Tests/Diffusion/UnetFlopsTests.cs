using ComfySnap.Diffusion.Models.StableDiffusion.Generation;
using ComfySnap.Diffusion.Models.StableDiffusion.Unet;

namespace ComfySnap.Tests.Diffusion;

public sealed class UnetFlopsTests
{
    /// <summary>
    /// TFLOPs of one batch-2 UNet call counted by PyTorch's torch.utils.flop_counter on the
    /// reference model code (sdref chroot, meta device) for the bench presets: the analytic count must agree.
    /// </summary>
    [Theory]
    [InlineData("sd15-full", 512, 1.607)]
    [InlineData("sd15-full", 768, 4.296)]
    [InlineData("sd15-full", 1024, 9.348)]
    [InlineData("sdxl-full", 512, 3.178)]
    [InlineData("sdxl-full", 768, 7.282)]
    [InlineData("sdxl-full", 1024, 13.522)]
    public void Count_matches_pytorchs_flop_counter(string preset, int size, double referenceTflops)
    {
        var unet = preset == "sd15-full" ? CheckpointPreset.Sd15Full.Unet : SdxlCheckpointPreset.Full.Unet;

        var tflops = UnetFlops.PerCall(unet, batch: 2, size / 8, size / 8) / 1e12;

        // The reference is rounded to 3 decimals.
        Assert.InRange(tflops, referenceTflops - 0.0015, referenceTflops + 0.0015);
    }

    [Fact]
    public void Flops_grow_with_batch_and_pixels()
    {
        var unet = CheckpointPreset.Small.Unet;

        var one = UnetFlops.PerCall(unet, 1, 32, 32);

        Assert.Equal(2 * one, UnetFlops.PerCall(unet, 2, 32, 32), 6);
        Assert.True(UnetFlops.PerCall(unet, 1, 64, 64) > 4 * one, "attention grows faster than the pixel count");
    }
}
