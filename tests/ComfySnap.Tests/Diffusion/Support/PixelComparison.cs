using ComfySnap.Diffusion.Imaging;
using static TorchSharp.torch;

namespace ComfySnap.Tests.Diffusion.Support;

/// <summary>Max and mean absolute difference of two PNGs on the 0..255 scale.</summary>
public static class PixelComparison
{
    public static (double Max, double Mean) Compare(byte[] expectedPng, byte[] actualPng)
    {
        using var scope = NewDisposeScope();
        var expected = PngCodec.Decode(expectedPng, CPU).mul(255.0).round();
        var actual = PngCodec.Decode(actualPng, CPU).mul(255.0).round();
        Assert.Equal(expected.shape, actual.shape);
        var diff = (expected - actual).abs();
        return (diff.max().item<float>(), diff.mean().item<float>());
    }
}
