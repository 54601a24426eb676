using ComfySnap.Diffusion.Imaging;
using SkiaSharp;

namespace ComfySnap.Tests.Nodes;

public sealed class ImageOrientationTests
{
    // A 3x2 image, one byte per pixel:  1 2 3
    //                                   4 5 6
    private static readonly byte[] Stored = [1, 2, 3, 4, 5, 6];

    [Theory]
    [InlineData(SKEncodedOrigin.TopLeft, 3, 2, new byte[] { 1, 2, 3, 4, 5, 6 })]
    [InlineData(SKEncodedOrigin.TopRight, 3, 2, new byte[] { 3, 2, 1, 6, 5, 4 })]
    [InlineData(SKEncodedOrigin.BottomRight, 3, 2, new byte[] { 6, 5, 4, 3, 2, 1 })]
    [InlineData(SKEncodedOrigin.BottomLeft, 3, 2, new byte[] { 4, 5, 6, 1, 2, 3 })]
    [InlineData(SKEncodedOrigin.LeftTop, 2, 3, new byte[] { 1, 4, 2, 5, 3, 6 })]
    [InlineData(SKEncodedOrigin.RightTop, 2, 3, new byte[] { 4, 1, 5, 2, 6, 3 })]
    [InlineData(SKEncodedOrigin.RightBottom, 2, 3, new byte[] { 6, 3, 5, 2, 4, 1 })]
    [InlineData(SKEncodedOrigin.LeftBottom, 2, 3, new byte[] { 3, 6, 2, 5, 1, 4 })]
    public void Turns_pixels_upright_like_exif_transpose(SKEncodedOrigin origin, int width, int height, byte[] expected)
    {
        var upright = ImageOrientation.Apply(Stored, 3, 2, 1, origin);

        Assert.Equal((width, height), (upright.Width, upright.Height));
        Assert.Equal(expected, upright.Pixels);
    }
}
