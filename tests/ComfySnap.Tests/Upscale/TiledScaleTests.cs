using System.Runtime.InteropServices;
using ComfySnap.Diffusion.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace ComfySnap.Tests.Upscale;

/// <summary>Tile placement, blending, progress, cancellation and the out-of-memory fallback.</summary>
public sealed class TiledScaleTests
{
    [Theory]
    [InlineData(40, 16, 4, new long[] { 0, 12, 24 })]
    [InlineData(17, 16, 4, new long[] { 0, 1 })]
    [InlineData(16, 16, 4, new long[] { 0 })]
    [InlineData(10, 16, 4, new long[] { 0 })]
    [InlineData(1200, 512, 32, new long[] { 0, 480, 688 })]
    public void Tiles_step_by_tile_minus_overlap_and_the_last_stays_inside(long size, int tile, int overlap, long[] expected)
    {
        Assert.Equal(expected, TiledScale.Positions(size, tile, overlap));
    }

    [Fact]
    public void Blended_tiles_of_a_position_independent_function_match_the_whole_image()
    {
        using var scope = NewDisposeScope();
        var input = rand(2, 3, 37, 45);
        static Tensor Nearest3x(Tensor t) => t.repeat_interleave(3, 2).repeat_interleave(3, 3).mul(2).add(1);

        var tiled = TiledScale.Run(input, Nearest3x, 3, 3, tile: 16, overlap: 4, null, CancellationToken.None);

        Assert.Equal(new long[] { 2, 3, 111, 135 }, tiled.shape);
        Assert.True(tiled.allclose(Nearest3x(input), rtol: 0, atol: 1e-5), $"max diff {(tiled - Nearest3x(input)).abs().max().item<float>()}");
    }

    [Fact]
    public void Overlapping_tiles_blend_with_linear_ramps_over_the_overlap()
    {
        using var scope = NewDisposeScope();
        var calls = 0;
        // Tile 0 (columns 0..15) outputs 0, tile 1 (columns 12..27) outputs 1.
        Tensor TileIndex(Tensor t) => full_like(t, (float)calls++);

        var output = TiledScale.Run(zeros(1, 1, 1, 28), TileIndex, 1, 1, tile: 16, overlap: 4, null, CancellationToken.None);

        // Columns 12..15: tile 0 weighs 1, 3/4, 1/2, 1/4 and tile 1 weighs 1/4, 1/2, 3/4, 1.
        var expected = Enumerable.Repeat(0f, 12).Concat([0.2f, 0.4f, 0.6f, 0.8f]).Concat(Enumerable.Repeat(1f, 12)).ToArray();
        var actual = output.data<float>().ToArray();
        Assert.Equal(expected.Length, actual.Length);
        Assert.All(expected.Zip(actual), p => Assert.Equal(p.First, p.Second, 1e-6f));
    }

    [Fact]
    public void Reports_each_tile_of_each_image_and_sees_every_tile_once()
    {
        using var scope = NewDisposeScope();
        var seen = new List<(long H, long W)>();
        var progress = new List<(int, int)>();
        Tensor Identity(Tensor t)
        {
            seen.Add((t.shape[2], t.shape[3]));
            return t.clone();
        }

        TiledScale.Run(rand(2, 3, 40, 17), Identity, 1, 3, tile: 16, overlap: 4, (s, t) => progress.Add((s, t)), CancellationToken.None);

        Assert.Equal(12, TiledScale.CountTiles(2, 40, 17, 16, 4));
        Assert.Equal(Enumerable.Range(1, 12).Select(s => (s, 12)), progress);
        Assert.Equal(12, seen.Count);
        Assert.All(seen, s => Assert.Equal((16L, 16L), s));
    }

    [Fact]
    public void Stops_between_tiles_when_cancelled()
    {
        using var scope = NewDisposeScope();
        using var cts = new CancellationTokenSource();
        var calls = 0;
        Tensor CancelAfterFirst(Tensor t)
        {
            calls++;
            cts.Cancel();
            return t.clone();
        }

        Assert.Throws<OperationCanceledException>(() =>
            TiledScale.Run(rand(1, 3, 40, 40), CancelAfterFirst, 1, 3, 16, 4, null, cts.Token));
        Assert.Equal(1, calls);
    }

    [Fact]
    public void Out_of_memory_halves_the_tile_and_starts_again()
    {
        using var scope = NewDisposeScope();
        var input = rand(1, 3, 300, 280);
        var largest = 0L;
        Tensor FitsOnly256(Tensor t)
        {
            if (t.shape[2] > 256 || t.shape[3] > 256)
            {
                throw new ExternalException("CUDA out of memory. Tried to allocate 2.00 GiB");
            }

            largest = Math.Max(largest, Math.Max(t.shape[2], t.shape[3]));
            return t.clone();
        }

        var output = TiledScale.RunWithOomFallback(input, FitsOnly256, 1, 3, 512, 32, null, CancellationToken.None);

        Assert.Equal(256, largest);
        Assert.True(output.allclose(input, rtol: 0, atol: 1e-6));
    }

    [Fact]
    public void Out_of_memory_below_the_smallest_tile_is_rethrown()
    {
        using var scope = NewDisposeScope();
        var sizes = new List<long>();
        Tensor AlwaysOom(Tensor t)
        {
            sizes.Add(t.shape[2]);
            throw new ExternalException("CUDA out of memory.");
        }

        Assert.Throws<ExternalException>(() =>
            TiledScale.RunWithOomFallback(rand(1, 3, 600, 600), AlwaysOom, 1, 3, 512, 32, null, CancellationToken.None));
        Assert.Equal(new long[] { 512, 256, 128 }, sizes);
    }

    [Fact]
    public void Other_errors_are_not_retried()
    {
        using var scope = NewDisposeScope();
        var calls = 0;
        Tensor Broken(Tensor t)
        {
            calls++;
            throw new ExternalException("shape mismatch");
        }

        Assert.Throws<ExternalException>(() =>
            TiledScale.RunWithOomFallback(rand(1, 3, 600, 600), Broken, 1, 3, 512, 32, null, CancellationToken.None));
        Assert.Equal(1, calls);
    }
}
