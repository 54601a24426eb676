using ComfySnap.Worker.Inputs;
using static ComfySnap.Tests.Support.TestImages;

namespace ComfySnap.Tests.Outbound;

/// <summary>URL inputs are accepted by their first bytes only.</summary>
public sealed class ImageMagicTests
{
    [Fact]
    public void Recognises_png_jpeg_webp_and_gif_and_nothing_else()
    {
        Assert.Equal(".png", ImageMagic.Extension(Png(2, 2, (_, _) => (1, 2, 3, 255))));
        Assert.Equal(".jpg", ImageMagic.Extension([0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]));
        Assert.Equal(".webp", ImageMagic.Extension("RIFF\x10\0\0\0WEBPVP8 "u8));
        Assert.Equal(".gif", ImageMagic.Extension("GIF89a\x01\0"u8));
        Assert.Equal(".gif", ImageMagic.Extension("GIF87a\x01\0"u8));
        Assert.Null(ImageMagic.Extension("<html><body>"u8));
        Assert.Null(ImageMagic.Extension("RIFF\x10\0\0\0WAVEfmt "u8));
        Assert.Null(ImageMagic.Extension([0x89, (byte)'P', (byte)'N', (byte)'G']));
        Assert.Null(ImageMagic.Extension([]));
    }
}
