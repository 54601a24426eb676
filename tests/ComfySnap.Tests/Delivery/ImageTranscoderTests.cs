using ComfySnap.Contracts;
using ComfySnap.Diffusion.Imaging;
using ComfySnap.Worker.Delivery;
using static ComfySnap.Tests.Support.TestImages;
using static TorchSharp.torch;

namespace ComfySnap.Tests.Delivery;

/// <summary>Output formats: PNG passes through, WebP and JPEG decode back to the same picture within their loss.</summary>
public sealed class ImageTranscoderTests
{
    // A smooth gradient with a little texture: what lossy codecs keep well, so the bounds below stay tight.
    private static byte[] GradientPng(int width = 96, int height = 64)
    {
        using var scope = NewDisposeScope();
        var y = linspace(0, 1, height).view(height, 1, 1).expand(height, width, 1);
        var x = linspace(0, 1, width).view(1, width, 1).expand(height, width, 1);
        var image = cat([x, y, (x + y) / 2], 2);
        return PngCodec.Encode(image, 6);
    }

    private static double MeanAbsDiff(byte[] a, byte[] b)
    {
        var (wa, ha, pa) = Rgba(a);
        var (wb, hb, pb) = Rgba(b);
        Assert.Equal((wa, ha), (wb, hb));
        return pa.Zip(pb).Average(p => Math.Abs(p.First - p.Second));
    }

    [Fact]
    public void Png_is_passed_through_byte_for_byte()
    {
        var png = GradientPng();
        Assert.Same(png, ImageTranscoder.Transcode(png, OutputFormat.Png, 90));
        Assert.Equal("x_00001_.png", ImageTranscoder.Rename("x_00001_.png", OutputFormat.Png));
    }

    [Theory]
    [InlineData(OutputFormat.Webp, 90, "RIFF", 2.0)]
    [InlineData(OutputFormat.Jpeg, 90, "\u00FF\u00D8\u00FF", 2.0)]
    [InlineData(OutputFormat.Jpeg, 30, "\u00FF\u00D8\u00FF", 6.0)]
    public void Lossy_formats_decode_to_the_same_picture_within_their_loss(OutputFormat format, int quality, string magic, double maxMeanDiff)
    {
        var png = GradientPng();
        var encoded = ImageTranscoder.Transcode(png, format, quality);
        Assert.Equal(magic.Select(c => (byte)c), encoded.Take(magic.Length));
        var diff = MeanAbsDiff(png, encoded);
        Assert.InRange(diff, 0, maxMeanDiff);
    }

    [Fact]
    public void Lower_jpeg_quality_gives_fewer_bytes()
    {
        var png = GradientPng(256, 256);
        Assert.True(ImageTranscoder.Transcode(png, OutputFormat.Jpeg, 20).Length < ImageTranscoder.Transcode(png, OutputFormat.Jpeg, 95).Length);
    }

    [Fact]
    public void Webp_at_quality_100_is_lossless_and_keeps_alpha()
    {
        var png = Png(17, 9, (x, y) => ((byte)(x * 15), (byte)(y * 28), (byte)(x ^ y), (byte)(255 - (x * 7))));
        var webp = ImageTranscoder.Transcode(png, OutputFormat.Webp, 100);
        Assert.Equal(Rgba(png).Pixels, Rgba(webp).Pixels);
    }

    [Fact]
    public void Jpeg_drops_alpha_and_keeps_the_colour()
    {
        var png = Png(16, 16, (x, y) => (200, 40, 90, 10));
        var (_, _, pixels) = Rgba(ImageTranscoder.Transcode(png, OutputFormat.Jpeg, 95));
        Assert.All(pixels.Chunk(4), p =>
        {
            Assert.Equal(255, p[3]);
            Assert.InRange(p[0], 195, 205);
            Assert.InRange(p[1], 35, 45);
            Assert.InRange(p[2], 85, 95);
        });
    }

    [Theory]
    [InlineData(OutputFormat.Webp, "x_00001_.webp", "image/webp")]
    [InlineData(OutputFormat.Jpeg, "x_00001_.jpg", "image/jpeg")]
    public void The_file_name_and_content_type_follow_the_format(OutputFormat format, string name, string contentType)
    {
        Assert.Equal(name, ImageTranscoder.Rename("x_00001_.png", format));
        Assert.Equal(contentType, ImageTranscoder.Describe(format).ContentType);
    }
}
