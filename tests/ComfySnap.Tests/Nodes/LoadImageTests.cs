using ComfySnap.Tests.Nodes.Support;
using ComfySnap.Diffusion.Imaging;
using ComfySnap.Nodes.Core;
using SkiaSharp;
using static TorchSharp.torch;

namespace ComfySnap.Tests.Nodes;

public sealed class LoadImageTests : IDisposable
{
    private readonly NodeHarness harness = new();

    [Fact]
    public async Task Round_trips_a_png_written_by_save_image_within_one_step_of_255()
    {
        var source = HostImage.Random(seed: 1, batch: 1, height: 9, width: 14, channels: 3);
        var saved = await harness.RunAsync(new SaveImage(), CancellationToken.None, ("images", source.ToTensor()), ("filename_prefix", "roundtrip"));
        var png = saved.Artifacts.Single();
        File.Copy(png.Path!, Path.Combine(harness.Workspace.InputDirectory, "roundtrip.png"));

        var loaded = await harness.RunAsync(new LoadImage(), CancellationToken.None, ("image", "roundtrip.png"));

        var image = HostImage.From((Tensor)loaded.Values[0]!);
        source.AssertClose(image, 1.0 / 255);

        // ComfyUI truncates: the stored byte is floor(255 x), never rounded up.
        for (var i = 0; i < source.Data.Length; i++)
        {
            Assert.Equal(MathF.Floor(source.Data[i] * 255f) / 255f, image.Data[i], 6);
        }

        var mask = (Tensor)loaded.Values[1]!;
        Assert.Equal(new long[] { 1, 64, 64 }, mask.shape);
        Assert.Equal(0f, mask.abs().sum().item<float>());
    }

    [Fact]
    public async Task The_mask_is_one_minus_alpha()
    {
        var rgba = HostImage.Random(seed: 2, batch: 1, height: 5, width: 6, channels: 4);
        using (var pixels = rgba.ToTensor()[0])
        {
            await File.WriteAllBytesAsync(Path.Combine(harness.Workspace.InputDirectory, "alpha.png"), PngCodec.Encode(pixels, 4));
        }

        var loaded = await harness.RunAsync(new LoadImage(), CancellationToken.None, ("image", "alpha.png"));

        var image = HostImage.From((Tensor)loaded.Values[0]!);
        var mask = ((Tensor)loaded.Values[1]!).contiguous().data<float>().ToArray();
        Assert.Equal((1, 5, 6, 3), (image.Batch, image.Height, image.Width, image.Channels));
        Assert.Equal(30, mask.Length);
        for (var i = 0; i < 30; i++)
        {
            Assert.Equal(1f - (MathF.Floor(rgba.Data[(i * 4) + 3] * 255f) / 255f), mask[i], 5);
            Assert.Equal(MathF.Floor(rgba.Data[i * 4] * 255f) / 255f, image.Data[i * 3], 6);
        }
    }

    [Fact]
    public async Task Reads_a_jpeg_as_rgb_with_an_empty_mask()
    {
        using (var bitmap = new SKBitmap(new SKImageInfo(12, 8, SKColorType.Rgba8888, SKAlphaType.Premul)))
        {
            bitmap.Erase(new SKColor(200, 100, 50));
            using var jpeg = bitmap.Encode(SKEncodedImageFormat.Jpeg, 100);
            await File.WriteAllBytesAsync(Path.Combine(harness.Workspace.InputDirectory, "flat.jpg"), jpeg.ToArray());
        }

        var loaded = await harness.RunAsync(new LoadImage(), CancellationToken.None, ("image", "flat.jpg"));

        var image = HostImage.From((Tensor)loaded.Values[0]!);
        Assert.Equal((1, 8, 12, 3), (image.Batch, image.Height, image.Width, image.Channels));
        float[] colour = [200 / 255f, 100 / 255f, 50 / 255f];

        // JPEG is lossy (and subsamples chroma): a flat colour comes back within a few steps.
        Assert.All(Enumerable.Range(0, image.Data.Length), i => Assert.InRange(image.Data[i], colour[i % 3] - (4 / 255f), colour[i % 3] + (4 / 255f)));
        Assert.Equal(new long[] { 1, 64, 64 }, ((Tensor)loaded.Values[1]!).shape);
    }

    [Fact]
    public async Task A_missing_file_is_reported_by_name()
    {
        var error = await Assert.ThrowsAsync<FileNotFoundException>(() =>
            harness.RunAsync(new LoadImage(), CancellationToken.None, ("image", "nope.png")));
        Assert.Contains("nope.png", error.Message);
    }

    [Fact]
    public async Task A_file_that_is_not_an_image_is_refused()
    {
        await File.WriteAllTextAsync(Path.Combine(harness.Workspace.InputDirectory, "text.png"), "not a png");

        await Assert.ThrowsAsync<InvalidDataException>(() =>
            harness.RunAsync(new LoadImage(), CancellationToken.None, ("image", "text.png")));
    }

    public void Dispose() => harness.Dispose();
}
