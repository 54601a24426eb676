using static TorchSharp.torch;

namespace ComfySnap.Tests.Upscale.Support;

/// <summary>Tensor comparisons that also check shapes (TorchSharp's equal() is element-wise and broadcasts).</summary>
public static class TensorAssert
{
    public static void Identical(Tensor expected, Tensor actual, string? what = null)
    {
        Assert.Equal(expected.shape, actual.shape);
        Assert.True(expected.eq(actual).all().item<bool>(), $"{what} differs: max diff {(expected - actual).abs().max().item<float>()}");
    }
}
