using ComfySnap.Tests.Nodes.Support;
using ComfySnap.Nodes.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace ComfySnap.Tests.Nodes;

public sealed class ImageScaleTests : IDisposable
{
    private readonly NodeHarness harness = new();

    [Theory]
    [InlineData(5, 7, 9, 13)]  // up
    [InlineData(12, 10, 5, 4)] // down
    [InlineData(6, 6, 6, 11)]  // one axis only
    public void Bilinear_matches_a_hand_written_bilinear_without_aligned_corners(int inHeight, int inWidth, int height, int width)
    {
        using var scope = NewDisposeScope();
        var source = HostImage.Random(seed: inWidth, batch: 2, height: inHeight, width: inWidth, channels: 3);

        var result = Scale(source.ToTensor(), "bilinear", width, height, "disabled");

        ReferenceResize.Bilinear(source, height, width).AssertClose(HostImage.From(result), 1e-5);
    }

    [Fact]
    public void Center_crop_trims_the_source_to_the_target_aspect_before_resizing()
    {
        using var scope = NewDisposeScope();
        var source = HostImage.Random(seed: 2, batch: 1, height: 8, width: 16, channels: 3);

        // 16x8 (aspect 2) to 6x6: ComfyUI keeps round((16 - 16 * 0.5) / 2) = 4 columns off each side.
        var result = Scale(source.ToTensor(), "bilinear", 6, 6, "center");

        var expected = ReferenceResize.Bilinear(ReferenceResize.Crop(source, 0, 4, 8, 8), 6, 6);
        expected.AssertClose(HostImage.From(result), 1e-5);
    }

    [Theory]
    [InlineData(0, 30, 20, 30)] // width derived: round(40 * 30 / 60) = 20
    [InlineData(25, 0, 25, 38)] // height derived: round(60 * 25 / 40) = 37.5 -> 38 (half to even)
    [InlineData(15, 0, 15, 22)] // round(60 * 15 / 40) = 22.5 -> 22 (half to even)
    public void A_zero_side_keeps_the_aspect_ratio_with_pythons_rounding(int width, int height, int expectedWidth, int expectedHeight)
    {
        using var scope = NewDisposeScope();
        var input = HostImage.Random(seed: 4, batch: 1, height: 60, width: 40, channels: 3).ToTensor();

        var result = Scale(input, "nearest-exact", width, height, "disabled");

        Assert.Equal(new long[] { 1, expectedHeight, expectedWidth, 3 }, result.shape);
    }

    [Fact]
    public void Zero_width_and_height_return_the_same_pixels()
    {
        using var scope = NewDisposeScope();
        var source = HostImage.Random(seed: 6, batch: 1, height: 5, width: 4, channels: 3);

        var result = Scale(source.ToTensor(), "bicubic", 0, 0, "disabled");

        source.AssertClose(HostImage.From(result), 0);
    }

    [Theory]
    [InlineData("nearest-exact")]
    [InlineData("area")]
    [InlineData("bicubic")]
    [InlineData("lanczos")]
    public void Every_method_keeps_a_flat_colour_flat(string method)
    {
        using var scope = NewDisposeScope();
        var flat = full([2, 9, 7, 3], 0.6f, ScalarType.Float32);

        var result = Scale(flat, method, 11, 4, "disabled");

        Assert.Equal(new long[] { 2, 4, 11, 3 }, result.shape);

        // Lanczos goes through uint8 like ComfyUI's PIL path: 0.6*255 = 153 -> 153/255.
        var expected = method == "lanczos" ? 153f / 255f : 0.6f;
        Assert.All(HostImage.From(result).Data, v => Assert.Equal(expected, v, 5));
    }

    [Theory]
    [InlineData(6, 8, 11, 15)] // up
    [InlineData(16, 13, 5, 4)] // down: support widened
    [InlineData(9, 9, 9, 4)]   // one axis only
    public void Lanczos_matches_a_double_precision_lanczos3_within_the_uint8_rounding(int inHeight, int inWidth, int height, int width)
    {
        using var scope = NewDisposeScope();
        var source = HostImage.Random(seed: 20 + inWidth, batch: 1, height: inHeight, width: inWidth, channels: 3);

        var result = Scale(source.ToTensor(), "lanczos", width, height, "disabled");

        // PIL rounds to uint8 after each pass and at the end: at most about 1.5 steps of 1/255 apart.
        ReferenceResize.Lanczos(source, height, width).AssertClose(HostImage.From(result), 1.5 / 255);
    }

    [Fact]
    public void Scale_by_rounds_each_side_like_python()
    {
        using var scope = NewDisposeScope();
        var input = HostImage.Random(seed: 8, batch: 1, height: 5, width: 7, channels: 3).ToTensor();

        var result = harness.Run(new ImageScaleBy(), ("image", input), ("upscale_method", "bilinear"), ("scale_by", 1.5));

        // 7 * 1.5 = 10.5 -> 10 and 5 * 1.5 = 7.5 -> 8 (half to even).
        Assert.Equal(new long[] { 1, 8, 10, 3 }, ((Tensor)result.Values[0]!).shape);
    }

    [Fact]
    public void Scale_by_bilinear_matches_the_hand_written_bilinear()
    {
        using var scope = NewDisposeScope();
        var source = HostImage.Random(seed: 9, batch: 1, height: 6, width: 4, channels: 3);

        var result = harness.Run(new ImageScaleBy(), ("image", source.ToTensor()), ("upscale_method", "bilinear"), ("scale_by", 2.0));

        ReferenceResize.Bilinear(source, 12, 8).AssertClose(HostImage.From((Tensor)result.Values[0]!), 1e-5);
    }

    [Fact]
    public void Validate_flags_a_literal_size_beyond_the_limits()
    {
        var errors = new ImageScale().Validate(
            NodeHarness.Inputs(("width", 8192L), ("height", 8192L)),
            harness.ValidationContext(new ComfySnap.NodeSdk.EngineLimits { MaxPixels = 4096 * 4096 })).ToList();

        Assert.Equal("limit_exceeded", Assert.Single(errors).Type);
        Assert.Empty(new ImageScale().Validate(NodeHarness.Inputs(("width", 0L), ("height", 8192L)), harness.ValidationContext()));
    }

    private Tensor Scale(Tensor image, string method, int width, int height, string crop) =>
        (Tensor)harness.Run(new ImageScale(), ("image", image), ("upscale_method", method), ("width", (long)width), ("height", (long)height), ("crop", crop)).Values[0]!;

    public void Dispose() => harness.Dispose();
}
