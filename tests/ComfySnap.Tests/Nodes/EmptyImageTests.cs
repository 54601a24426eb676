using ComfySnap.NodeSdk;
using ComfySnap.Tests.Nodes.Support;
using ComfySnap.Nodes.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace ComfySnap.Tests.Nodes;

public sealed class EmptyImageTests : IDisposable
{
    private readonly NodeHarness harness = new();

    [Theory]
    [InlineData(0xFF8000)]
    [InlineData(0x123456)]
    [InlineData(0x000000)]
    public void Fills_every_pixel_with_the_rgb_colour(int color)
    {
        using var scope = NewDisposeScope();
        var result = harness.Run(new EmptyImage(), ("width", 5L), ("height", 3L), ("batch_size", 2L), ("color", (long)color));

        var image = HostImage.From(Assert.IsType<Tensor>(Assert.Single(result.Values)));
        Assert.Equal((2, 3, 5, 3), (image.Batch, image.Height, image.Width, image.Channels));
        float[] expected = [((color >> 16) & 0xFF) / 255f, ((color >> 8) & 0xFF) / 255f, (color & 0xFF) / 255f];
        for (var i = 0; i < image.Data.Length; i++)
        {
            Assert.Equal(expected[i % 3], image.Data[i], 6);
        }
    }

    [Fact]
    public void Validate_flags_the_too_large_workflow_as_limit_exceeded()
    {
        var literals = NodeHarness.Inputs(("width", 65536L), ("height", 65536L), ("batch_size", 4096L), ("color", 0L));

        var errors = new EmptyImage().Validate(literals, harness.ValidationContext()).ToList();

        Assert.All(errors, e => Assert.Equal("limit_exceeded", e.Type));
        Assert.Contains(errors, e => e.InputName == "width" && e.Details.Contains("MaxSide"));
        Assert.Contains(errors, e => e.InputName == "height" && e.Details.Contains("MaxSide"));
        Assert.Contains(errors, e => e.Details.Contains("MaxPixels"));
        Assert.Contains(errors, e => e.InputName == "batch_size" && e.Details.Contains("MaxBatchSize"));
    }

    [Fact]
    public void Validate_accepts_sizes_within_the_limits_and_skips_linked_inputs()
    {
        var node = new EmptyImage();
        var limits = new EngineLimits { MaxPixels = 512 * 512, MaxBatchSize = 4, MaxSide = 1024 };

        Assert.Empty(node.Validate(NodeHarness.Inputs(("width", 512L), ("height", 512L), ("batch_size", 4L)), harness.ValidationContext(limits)));
        Assert.Empty(node.Validate(NodeHarness.Inputs(("width", "wide"), ("height", 512L)), harness.ValidationContext(limits)));

        // One pixel over MaxPixels is enough to fail.
        var over = node.Validate(NodeHarness.Inputs(("width", 513L), ("height", 512L), ("batch_size", 1L)), harness.ValidationContext(limits));
        Assert.Equal("width", Assert.Single(over).InputName);
    }

    public void Dispose() => harness.Dispose();
}
