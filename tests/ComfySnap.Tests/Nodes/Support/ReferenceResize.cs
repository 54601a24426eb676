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

    /// <summary>
    /// Lanczos-3 in double precision on floor(255 x) (ComfyUI hands PIL uint8 pixels): rows first,
    /// then columns, every source pixel weighted by L(t), support widened by the shrink factor,
    /// weights normalised. PIL clamps to 0..255 between the passes, so this does too.
    /// </summary>
    public static HostImage Lanczos(HostImage image, int height, int width)
    {
        var rows = Weights(image.Height, height);
        var columns = Weights(image.Width, width);
        var result = HostImage.Zeros(image.Batch, height, width, image.Channels);
        var horizontal = new double[image.Height, width];
        for (var b = 0; b < image.Batch; b++)
        {
            for (var c = 0; c < image.Channels; c++)
            {
                for (var j = 0; j < image.Height; j++)
                {
                    for (var x = 0; x < width; x++)
                    {
                        var sum = 0.0;
                        for (var i = 0; i < image.Width; i++)
                        {
                            sum += columns[x, i] * Math.Floor(image[b, j, i, c] * 255f);
                        }

                        horizontal[j, x] = image.Width == width ? Math.Floor(image[b, j, x, c] * 255f) : Math.Clamp(sum, 0, 255);
                    }
                }

                for (var y = 0; y < height; y++)
                {
                    for (var x = 0; x < width; x++)
                    {
                        var sum = 0.0;
                        for (var j = 0; j < image.Height; j++)
                        {
                            sum += rows[y, j] * horizontal[j, x];
                        }

                        result[b, y, x, c] = (float)((image.Height == height ? horizontal[y, x] : Math.Clamp(sum, 0, 255)) / 255);
                    }
                }
            }
        }

        return result;
    }

    private static double[,] Weights(int inSize, int outSize)
    {
        var scale = (double)inSize / outSize;
        var stretch = Math.Max(scale, 1.0);
        var weights = new double[outSize, inSize];
        for (var o = 0; o < outSize; o++)
        {
            var center = (o + 0.5) * scale;
            var total = 0.0;
            for (var i = 0; i < inSize; i++)
            {
                var t = (i + 0.5 - center) / stretch;
                weights[o, i] = Math.Abs(t) < 3 ? Sinc(t) * Sinc(t / 3) : 0;
                total += weights[o, i];
            }

            for (var i = 0; i < inSize; i++)
            {
                weights[o, i] /= total;
            }
        }

        return weights;
    }

    private static double Sinc(double x) => x == 0 ? 1 : Math.Sin(Math.PI * x) / (Math.PI * x);

    private static (int Low, int High, double Fraction) Source(int destination, int inSize, int outSize)
    {
        var source = Math.Max(((destination + 0.5) * inSize / outSize) - 0.5, 0.0);
        var low = Math.Min((int)Math.Floor(source), inSize - 1);
        var high = Math.Min(low + 1, inSize - 1);
        return (low, high, source - low);
    }
}
