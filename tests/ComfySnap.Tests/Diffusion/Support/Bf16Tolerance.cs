namespace ComfySnap.Tests.Diffusion.Support;

/// <summary>
/// How far an image rendered with Models:UnetDtype=bf16 may be from the fp32 one, on 0..255.
/// bf16 keeps 8 bits of mantissa (relative rounding 2^-9) where fp32 keeps 24, so every UNet call's
/// output moves a little, and the sampler carries that through its steps; a random-weight UNet,
/// which denoises nothing, does not damp it. Measured with the tiny random-weight checkpoint
/// (64x64, 4 steps; euler, dpmpp_2m, batch 2, LCM at cfg 1, a LoRA, chained ControlNets):
/// max |diff| 62-81, mean 8.6-11.6. The bounds sit above every case measured with room for other
/// CPUs' kernels; identical pixels (bf16 not used at all) are refused by the tests themselves.
/// </summary>
public static class Bf16Tolerance
{
    public const double Max = 100;
    public const double Mean = 15;

    public static void Assert(double max, double mean) =>
        Xunit.Assert.True(max <= Max && mean <= Mean, $"bf16 vs fp32: max |diff| {max}, mean {mean:F4} (tolerance {Max} / {Mean})");
}
