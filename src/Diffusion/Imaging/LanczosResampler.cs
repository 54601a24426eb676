using TorchSharp;
using static TorchSharp.torch;

namespace ComfySnap.Diffusion.Imaging;

/// <summary>
/// ComfyUI's "lanczos" upscale: each image is quantised to uint8 and resized with PIL's
/// Image.resize(LANCZOS). This is PIL's 8-bit algorithm (Lanczos-3, support widened when
/// shrinking, 22-bit fixed-point taps, horizontal pass then vertical, each rounded to uint8),
/// so results follow PIL's rather than a float approximation.
/// </summary>
public static class LanczosResampler
{
    private const int PrecisionBits = 32 - 8 - 2;
    private const double Support = 3.0;

    /// <summary>Resizes [B,C,H,W] (0..1) to [B,C,height,width]; channels are resampled independently.</summary>
    public static Tensor Resize(Tensor samples, long width, long height, CancellationToken cancellationToken = default)
    {
        var (batch, channels, inHeight, inWidth) = ((int)samples.shape[0], (int)samples.shape[1], (int)samples.shape[2], (int)samples.shape[3]);
        var (outWidth, outHeight) = ((int)width, (int)height);
        var quantized = Quantize(samples);
        var horizontal = inWidth != outWidth ? Taps.Compute(inWidth, outWidth) : null;
        var vertical = inHeight != outHeight ? Taps.Compute(inHeight, outHeight) : null;

        var inPlane = inHeight * inWidth;
        var outPlane = outHeight * outWidth;
        var output = new float[(long)batch * channels * outPlane];
        for (var plane = 0; plane < batch * channels; plane++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var pixels = quantized.AsSpan(plane * inPlane, inPlane).ToArray();
            if (horizontal is not null)
            {
                pixels = ResampleRows(pixels, inWidth, inHeight, horizontal, cancellationToken);
            }

            if (vertical is not null)
            {
                pixels = ResampleColumns(pixels, outWidth, vertical, cancellationToken);
            }

            for (var i = 0; i < outPlane; i++)
            {
                output[((long)plane * outPlane) + i] = pixels[i] / 255f;
            }
        }

        return tensor(output, [batch, channels, outHeight, outWidth], samples.dtype, samples.device);
    }

    private static byte[] Quantize(Tensor samples)
    {
        // np.clip(255 * x, 0, 255).astype(np.uint8), as ComfyUI hands images to PIL.
        using var scope = NewDisposeScope();
        var bytes = (samples.to(CPU).to(ScalarType.Float32) * 255.0).nan_to_num(0.0).clamp(0, 255).to(ScalarType.Byte).contiguous();
        return bytes.data<byte>().ToArray();
    }

    private static byte[] ResampleRows(byte[] source, int inWidth, int rows, Taps taps, CancellationToken cancellationToken)
    {
        var outWidth = taps.Start.Length;
        var result = new byte[rows * outWidth];
        Parallel.For(0, rows, new ParallelOptions { CancellationToken = cancellationToken }, y =>
        {
            var row = y * inWidth;
            for (var x = 0; x < outWidth; x++)
            {
                var sum = 1 << (PrecisionBits - 1);
                var weights = x * taps.KernelSize;
                for (var k = 0; k < taps.Count[x]; k++)
                {
                    sum += source[row + taps.Start[x] + k] * taps.Weights[weights + k];
                }

                result[(y * outWidth) + x] = Clip8(sum);
            }
        });
        return result;
    }

    private static byte[] ResampleColumns(byte[] source, int width, Taps taps, CancellationToken cancellationToken)
    {
        var outHeight = taps.Start.Length;
        var result = new byte[outHeight * width];
        Parallel.For(0, outHeight, new ParallelOptions { CancellationToken = cancellationToken }, y =>
        {
            // Whole source rows at a time: the same sums as PIL, read in memory order.
            var sums = new int[width];
            Array.Fill(sums, 1 << (PrecisionBits - 1));
            for (var k = 0; k < taps.Count[y]; k++)
            {
                var row = (taps.Start[y] + k) * width;
                var weight = taps.Weights[(y * taps.KernelSize) + k];
                for (var x = 0; x < width; x++)
                {
                    sums[x] += source[row + x] * weight;
                }
            }

            for (var x = 0; x < width; x++)
            {
                result[(y * width) + x] = Clip8(sums[x]);
            }
        });
        return result;
    }

    private static byte Clip8(int sum) => (byte)Math.Clamp(sum >> PrecisionBits, 0, 255);

    private static double Lanczos(double x) => x >= -Support && x < Support ? Sinc(x) * Sinc(x / Support) : 0.0;

    private static double Sinc(double x)
    {
        if (x == 0.0)
        {
            return 1.0;
        }

        x *= Math.PI;
        return Math.Sin(x) / x;
    }

    /// <summary>Per output pixel: first source pixel, tap count and fixed-point weights (PIL's precompute_coeffs).</summary>
    private sealed record Taps(int[] Start, int[] Count, int[] Weights, int KernelSize)
    {
        public static Taps Compute(int inSize, int outSize)
        {
            var scale = (double)inSize / outSize;
            var filterScale = Math.Max(scale, 1.0);
            var support = Support * filterScale;
            var kernelSize = ((int)Math.Ceiling(support) * 2) + 1;
            var start = new int[outSize];
            var count = new int[outSize];
            var weights = new int[outSize * kernelSize];
            var k = new double[kernelSize];
            var inverseScale = 1.0 / filterScale;
            for (var xx = 0; xx < outSize; xx++)
            {
                var center = (xx + 0.5) * scale;
                var min = Math.Max((int)(center - support + 0.5), 0);
                var max = Math.Min((int)(center + support + 0.5), inSize) - min;
                var total = 0.0;
                for (var x = 0; x < max; x++)
                {
                    k[x] = Lanczos((x + min - center + 0.5) * inverseScale);
                    total += k[x];
                }

                for (var x = 0; x < max; x++)
                {
                    var w = total != 0.0 ? k[x] / total : k[x];

                    // PIL rounds half away from zero into 22-bit fixed point.
                    weights[(xx * kernelSize) + x] = (int)(w < 0 ? -0.5 + (w * (1 << PrecisionBits)) : 0.5 + (w * (1 << PrecisionBits)));
                }

                start[xx] = min;
                count[xx] = max;
            }

            return new Taps(start, count, weights, kernelSize);
        }
    }
}
