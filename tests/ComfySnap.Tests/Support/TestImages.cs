using SkiaSharp;

namespace ComfySnap.Tests.Support;

/// <summary>Small images built and read pixel by pixel (unpremultiplied RGBA), for upload and LoadImage tests.</summary>
public static class TestImages
{
    /// <summary>Width, height and unpremultiplied RGBA bytes of an encoded image.</summary>
    public static (int Width, int Height, byte[] Pixels) Rgba(byte[] encoded)
    {
        using var codec = SKCodec.Create(new MemoryStream(encoded));
        var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var bitmap = SKBitmap.Decode(codec, info);
        return (info.Width, info.Height, bitmap.Bytes);
    }

    public static byte[] Png(int width, int height, Func<int, int, (byte R, byte G, byte B, byte A)> pixel)
    {
        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var bytes = new byte[info.BytesSize];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var at = ((y * width) + x) * 4;
                (bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]) = pixel(x, y);
            }
        }

        using var image = SKImage.FromPixelCopy(info, bytes);
        using var png = image.Encode(SKEncodedImageFormat.Png, 100);
        return png.ToArray();
    }
}
