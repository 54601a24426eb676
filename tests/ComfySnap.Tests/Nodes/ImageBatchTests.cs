using ComfySnap.Tests.Nodes.Support;
using ComfySnap.Nodes.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace ComfySnap.Tests.Nodes;

public sealed class ImageBatchTests : IDisposable
{
    private readonly NodeHarness harness = new();

    [Fact]
    public void Concatenates_same_sized_batches_in_order()
    {
        using var scope = NewDisposeScope();
        var first = HostImage.Random(seed: 1, batch: 2, height: 4, width: 5, channels: 3);
        var second = HostImage.Random(seed: 2, batch: 1, height: 4, width: 5, channels: 3);

        var result = HostImage.From(Batch(first.ToTensor(), second.ToTensor()));

        Assert.Equal(3, result.Batch);
        new HostImage([.. first.Data, .. second.Data], 3, 4, 5, 3).AssertClose(result, 0);
    }

    [Fact]
    public void Resizes_the_second_batch_to_the_first_with_bilinear_and_center_crop()
    {
        using var scope = NewDisposeScope();
        var first = HostImage.Random(seed: 3, batch: 1, height: 6, width: 6, channels: 3);
        var second = HostImage.Random(seed: 4, batch: 2, height: 8, width: 12, channels: 3);

        var result = HostImage.From(Batch(first.ToTensor(), second.ToTensor()));

        Assert.Equal((3, 6, 6, 3), (result.Batch, result.Height, result.Width, result.Channels));

        // 12x8 to a square: round((12 - 8) / 2) = 2 columns off each side, then 8x8 -> 6x6.
        var expected = ReferenceResize.Bilinear(ReferenceResize.Crop(second, 0, 2, 8, 8), 6, 6);
        var tail = new HostImage(result.Data[(6 * 6 * 3)..], 2, 6, 6, 3);
        expected.AssertClose(tail, 1e-5);
    }

    [Fact]
    public void Gives_an_rgb_batch_an_opaque_alpha_channel_next_to_rgba()
    {
        using var scope = NewDisposeScope();
        var rgb = HostImage.Random(seed: 5, batch: 1, height: 3, width: 3, channels: 3);
        var rgba = HostImage.Random(seed: 6, batch: 1, height: 3, width: 3, channels: 4);

        var result = HostImage.From(Batch(rgb.ToTensor(), rgba.ToTensor()));

        Assert.Equal((2, 4), (result.Batch, result.Channels));
        for (var i = 0; i < 9; i++)
        {
            Assert.Equal(1f, result.Data[(i * 4) + 3]);
        }
    }

    private Tensor Batch(Tensor image1, Tensor image2) =>
        (Tensor)harness.Run(new ImageBatch(), ("image1", image1), ("image2", image2)).Values[0]!;

    public void Dispose() => harness.Dispose();
}
