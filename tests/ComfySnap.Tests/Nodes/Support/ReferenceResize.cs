namespace ComfySnap.Tests.Nodes.Support;

/// <summary>Resampling written out as loops, to check the tensor code against.</summary>
public static class ReferenceResize
{
    /// <summary>Bilinear with align_corners=false: source = (dst + 0.5) * in/out - 0.5, clamped at 0.</summary>
    public static HostImage Bilinear(HostImage image, int height, int width)
    {
        var result = HostImage.Zeros(image.Batch, height, width, image.Channels);
        for (var y = 0; y < height; y++)
        {
            var (y0, y1, fy) = Source(y, image.Height, height);
            for (var x = 0; x < width; x++)
            {
                var (x0, x1, fx) = Source(x, image.Width, width);
                for (var b = 0; b < image.Batch; b++)
                {
                    for (var c = 0; c < image.Channels; c++)
                    {
                        var top = ((1 - fx) * image[b, y0, x0, c]) + (fx * image[b, y0, x1, c]);
                        var bottom = ((1 - fx) * image[b, y1, x0, c]) + (fx * image[b, y1, x1, c]);
                        result[b, y, x, c] = (float)(((1 - fy) * top) + (fy * bottom));
                    }
                }
            }
        }

        return result;
    }

    /// <summary>The sub-image [y, y+height) x [x, x+width).</summary>
    public static HostImage Crop(HostImage image, int y, int x, int height, int width)
    {
        var result = HostImage.Zeros(image.Batch, height, width, image.Channels);
        for (var b = 0; b < image.Batch; b++)
        {
            for (var i = 0; i < height; i++)
            {
                for (var j = 0; j < width; j++)
                {
                    for (var c = 0; c < image.Channels; c++)
                    {
                        result[b, i, j, c] = image[b, y + i, x + j, c];
                    }
                }
            }
        }

        return result;
    }

    private static (int Low, int High, double Fraction) Source(int destination, int inSize, int outSize)
    {
        var source = Math.Max(((destination + 0.5) * inSize / outSize) - 0.5, 0.0);
        var low = Math.Min((int)Math.Floor(source), inSize - 1);
        var high = Math.Min(low + 1, inSize - 1);
        return (low, high, source - low);
    }
}
