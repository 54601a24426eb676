using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace ComfySnap.Diffusion.Models;

/// <summary>
/// Runs an image-to-image upscaler over overlapping tiles and blends them, as ComfyUI's tiled_scale does:
/// tiles step by (tile - overlap), the last one is pulled back inside the image, and each tile's output
/// is weighted by a ramp over its outer overlap*scale pixels, then normalised by the summed weights.
/// </summary>
public static class TiledScale
{
    /// <summary>On out-of-memory the tile is halved, but never below this (ComfyUI gives up below 128 too).</summary>
    public const int MinTile = 128;

    /// <summary>The start offsets of the tiles along one side of <paramref name="size"/> pixels.</summary>
    public static IReadOnlyList<long> Positions(long size, int tile, int overlap)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(tile, overlap);
        ArgumentOutOfRangeException.ThrowIfNegative(overlap);
        if (size <= tile)
        {
            return [0];
        }

        var positions = new List<long>();
        for (long p = 0; ; p += tile - overlap)
        {
            if (p + tile >= size)
            {
                positions.Add(size - tile);
                return positions;
            }

            positions.Add(p);
        }
    }

    /// <summary>How many tiles (progress steps) a [B,C,H,W] input takes.</summary>
    public static int CountTiles(long batch, long height, long width, int tile, int overlap) =>
        checked((int)(batch * Positions(height, tile, overlap).Count * Positions(width, tile, overlap).Count));

    /// <summary>
    /// Upscales [B,C,H,W] tile by tile with <paramref name="upscale"/> (which must map [1,C,h,w] to
    /// [1,outChannels,h*scale,w*scale]); the result is [B,outChannels,H*scale,W*scale] on the CPU.
    /// </summary>
    public static Tensor Run(
        Tensor input,
        Func<Tensor, Tensor> upscale,
        int scale,
        int outChannels,
        int tile,
        int overlap,
        Action<int, int>? progress,
        CancellationToken cancellationToken)
    {
        using var scope = NewDisposeScope();
        var (batch, height, width) = (input.shape[0], input.shape[2], input.shape[3]);
        var ys = Positions(height, tile, overlap);
        var xs = Positions(width, tile, overlap);
        var total = CountTiles(batch, height, width, tile, overlap);
        var output = zeros([batch, outChannels, height * scale, width * scale], float32, CPU);
        var weights = zeros([1, 1, height * scale, width * scale], float32, CPU);
        var step = 0;
        var single = ys.Count == 1 && xs.Count == 1;

        for (long b = 0; b < batch; b++)
        {
            weights.zero_();
            var image = input.narrow(0, b, 1);
            var outImage = output.narrow(0, b, 1);
            foreach (var y in ys)
            {
                foreach (var x in xs)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    using (NewDisposeScope())
                    {
                        var th = Math.Min(tile, height - y);
                        var tw = Math.Min(tile, width - x);
                        var piece = upscale(image.narrow(2, y, th).narrow(3, x, tw)).to(CPU);
                        CheckShape(piece, outChannels, th * scale, tw * scale);
                        if (single)
                        {
                            // A lone tile needs no blending; dividing by its own weights would only add rounding.
                            outImage.copy_(piece);
                        }
                        else
                        {
                            var mask = Feather(th * scale, overlap * scale).unsqueeze(1) * Feather(tw * scale, overlap * scale).unsqueeze(0);
                            outImage.narrow(2, y * scale, th * scale).narrow(3, x * scale, tw * scale).add_(piece * mask);
                            weights.narrow(2, y * scale, th * scale).narrow(3, x * scale, tw * scale).add_(mask);
                        }
                    }

                    progress?.Invoke(++step, total);
                }
            }

            if (!single)
            {
                outImage.div_(weights);
            }
        }

        return output.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// <see cref="Run"/>, halving the tile after an out-of-memory error (restarting the image) until it
    /// would drop below <see cref="MinTile"/>, where the error is rethrown.
    /// </summary>
    public static Tensor RunWithOomFallback(
        Tensor input,
        Func<Tensor, Tensor> upscale,
        int scale,
        int outChannels,
        int tile,
        int overlap,
        Action<int, int>? progress,
        CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                return Run(input, upscale, scale, outChannels, tile, overlap, progress, cancellationToken);
            }
            catch (Exception e) when (IsOutOfMemory(e) && tile / 2 >= MinTile && tile / 2 > overlap)
            {
                tile /= 2;
            }
        }
    }

    /// <summary>TorchSharp reports libtorch allocation failures (CUDA or CPU) as ExternalException.</summary>
    public static bool IsOutOfMemory(Exception e) =>
        e is OutOfMemoryException
        || (e is ExternalException && (e.Message.Contains("out of memory", StringComparison.OrdinalIgnoreCase)
                                       || e.Message.Contains("can't allocate memory", StringComparison.OrdinalIgnoreCase)));

    /// <summary>1 in the middle, ramping (t+1)/feather over the outer <paramref name="feather"/> pixels of each end.</summary>
    private static Tensor Feather(long length, long feather)
    {
        var w = new float[length];
        for (long i = 0; i < length; i++)
        {
            var fromStart = i < feather ? (i + 1) / (float)feather : 1f;
            var fromEnd = length - 1 - i < feather ? (length - i) / (float)feather : 1f;
            w[i] = fromStart * fromEnd;
        }

        return tensor(w);
    }

    private static void CheckShape(Tensor piece, int channels, long height, long width)
    {
        if (piece.ndim != 4 || piece.shape[1] != channels || piece.shape[2] != height || piece.shape[3] != width)
        {
            throw new InvalidOperationException($"upscaler returned [{string.Join(',', piece.shape)}] for a tile, expected [1,{channels},{height},{width}]");
        }
    }
}
