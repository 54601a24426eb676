using SkiaSharp;

namespace ComfySnap.Diffusion.Imaging;

/// <summary>Turns decoded pixels upright from their EXIF origin, as PIL's ImageOps.exif_transpose.</summary>
public static class ImageOrientation
{
    public readonly record struct Oriented(byte[] Pixels, int Width, int Height);

    /// <summary>Reorders interleaved pixels (<paramref name="channels"/> bytes each) so that row 0 is the top.</summary>
    public static Oriented Apply(byte[] pixels, int width, int height, int channels, SKEncodedOrigin origin)
    {
        if (origin is SKEncodedOrigin.TopLeft or 0)
        {
            return new Oriented(pixels, width, height);
        }

        // Origins 5..8 swap the axes.
        var swap = origin is SKEncodedOrigin.LeftTop or SKEncodedOrigin.RightTop or SKEncodedOrigin.RightBottom or SKEncodedOrigin.LeftBottom;
        var (outWidth, outHeight) = swap ? (height, width) : (width, height);
        var result = new byte[pixels.Length];
        for (var y = 0; y < outHeight; y++)
        {
            for (var x = 0; x < outWidth; x++)
            {
                var (sx, sy) = Source(origin, x, y, width, height);
                Array.Copy(pixels, ((sy * width) + sx) * channels, result, ((y * outWidth) + x) * channels, channels);
            }
        }

        return new Oriented(result, outWidth, outHeight);
    }

    /// <summary>The stored pixel shown at upright position (x, y).</summary>
    public static (int X, int Y) Source(SKEncodedOrigin origin, int x, int y, int width, int height) => origin switch
    {
        SKEncodedOrigin.TopRight => (width - 1 - x, y),                   // mirrored horizontally
        SKEncodedOrigin.BottomRight => (width - 1 - x, height - 1 - y),   // rotated 180
        SKEncodedOrigin.BottomLeft => (x, height - 1 - y),                // mirrored vertically
        SKEncodedOrigin.LeftTop => (y, x),                                // transposed
        SKEncodedOrigin.RightTop => (y, height - 1 - x),                  // needs 90 clockwise
        SKEncodedOrigin.RightBottom => (width - 1 - y, height - 1 - x),   // transversed
        SKEncodedOrigin.LeftBottom => (width - 1 - y, x),                 // needs 90 counter-clockwise
        _ => (x, y),
    };
}
