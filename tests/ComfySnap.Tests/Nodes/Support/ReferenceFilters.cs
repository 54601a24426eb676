namespace ComfySnap.Tests.Nodes.Support;

/// <summary>ComfyUI's blur/sharpen written out as loops, to check the tensor code against.</summary>
public static class ReferenceFilters
{
    /// <summary>exp(-d^2 / 2 sigma^2) on a grid over [-1, 1] in both axes, normalised to sum 1.</summary>
    public static double[,] Gaussian(int size, double sigma)
    {
        var kernel = new double[size, size];
        var total = 0.0;
        for (var i = 0; i < size; i++)
        {
            for (var j = 0; j < size; j++)
            {
                var (u, v) = (-1.0 + (2.0 * i / (size - 1)), -1.0 + (2.0 * j / (size - 1)));
                kernel[i, j] = Math.Exp(-((u * u) + (v * v)) / (2 * sigma * sigma));
                total += kernel[i, j];
            }
        }

        for (var i = 0; i < size; i++)
        {
            for (var j = 0; j < size; j++)
            {
                kernel[i, j] /= total;
            }
        }

        return kernel;
    }

    /// <summary>-alpha*10 times the gaussian, with the centre raised so that the kernel sums to 1.</summary>
    public static double[,] Sharpen(int size, double sigma, double alpha)
    {
        var kernel = Gaussian(size, sigma);
        var total = 0.0;
        foreach (var index in Enumerable.Range(0, size * size))
        {
            kernel[index / size, index % size] *= -alpha * 10;
            total += kernel[index / size, index % size];
        }

        kernel[size / 2, size / 2] += 1.0 - total;
        return kernel;
    }

    /// <summary>Per-channel correlation with the kernel centred on each pixel, mirroring at the borders.</summary>
    public static HostImage ConvolveReflect(HostImage image, double[,] kernel, bool clamp = false)
    {
        var radius = kernel.GetLength(0) / 2;
        var result = HostImage.Zeros(image.Batch, image.Height, image.Width, image.Channels);
        for (var b = 0; b < image.Batch; b++)
        {
            for (var y = 0; y < image.Height; y++)
            {
                for (var x = 0; x < image.Width; x++)
                {
                    for (var c = 0; c < image.Channels; c++)
                    {
                        var sum = 0.0;
                        for (var dy = -radius; dy <= radius; dy++)
                        {
                            for (var dx = -radius; dx <= radius; dx++)
                            {
                                sum += kernel[dy + radius, dx + radius] * image[b, Reflect(y + dy, image.Height), Reflect(x + dx, image.Width), c];
                            }
                        }

                        result[b, y, x, c] = (float)(clamp ? Math.Clamp(sum, 0, 1) : sum);
                    }
                }
            }
        }

        return result;
    }

    // Mirror without repeating the edge pixel (torch's 'reflect'): -1 -> 1, n -> n-2.
    private static int Reflect(int i, int n) => i < 0 ? -i : i >= n ? (2 * n) - 2 - i : i;
}
