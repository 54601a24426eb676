using ComfySnap.Tests.Nodes.Support;
using ComfySnap.Nodes.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace ComfySnap.Tests.Nodes;

public sealed class ImageBlurTests : IDisposable
{
    private readonly NodeHarness harness = new();

    [Theory]
    [InlineData(1, 1.0)]
    [InlineData(2, 1.5)]
    [InlineData(3, 0.4)]
    public void Matches_a_hand_written_gaussian_with_reflect_padding(int radius, double sigma)
    {
        using var scope = NewDisposeScope();
        var source = HostImage.Random(seed: radius, batch: 2, height: 9, width: 11, channels: 3);

        var result = harness.Run(new ImageBlur(), ("image", source.ToTensor()), ("blur_radius", (long)radius), ("sigma", sigma));

        var expected = ReferenceFilters.ConvolveReflect(source, ReferenceFilters.Gaussian((2 * radius) + 1, sigma));
        expected.AssertClose(HostImage.From((Tensor)result.Values[0]!), 1e-5);
    }

    [Fact]
    public void Refuses_a_radius_as_large_as_the_image()
    {
        using var scope = NewDisposeScope();
        var input = HostImage.Random(seed: 3, batch: 1, height: 4, width: 8, channels: 3).ToTensor();

        var error = Assert.Throws<ArgumentException>(() => harness.Run(new ImageBlur(), ("image", input), ("blur_radius", 4L), ("sigma", 1.0)));
        Assert.Contains("radius", error.Message);
    }

    public void Dispose() => harness.Dispose();
}
