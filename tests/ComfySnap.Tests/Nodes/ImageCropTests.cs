using ComfySnap.Tests.Nodes.Support;
using ComfySnap.Nodes.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace ComfySnap.Tests.Nodes;

public sealed class ImageCropTests : IDisposable
{
    private readonly NodeHarness harness = new();

    [Theory]
    [InlineData(4, 3, 2, 1, 4, 3, 2, 1)]     // inside the image
    [InlineData(10, 10, 6, 5, 4, 3, 6, 5)]   // stops at the right and bottom edges
    [InlineData(3, 2, 50, 50, 1, 1, 9, 7)]   // x, y clamped to the last column/row
    public void Crops_like_a_python_slice(int width, int height, int x, int y, int expectedWidth, int expectedHeight, int expectedX, int expectedY)
    {
        using var scope = NewDisposeScope();
        var source = HostImage.Random(seed: 7, batch: 2, height: 8, width: 10, channels: 3);

        var result = harness.Run(new ImageCrop(), ("image", source.ToTensor()), ("width", (long)width), ("height", (long)height), ("x", (long)x), ("y", (long)y));

        var cropped = HostImage.From((Tensor)result.Values[0]!);
        Assert.Equal((expectedHeight, expectedWidth), (cropped.Height, cropped.Width));
        ReferenceResize.Crop(source, expectedY, expectedX, expectedHeight, expectedWidth).AssertClose(cropped, 0);
    }

    public void Dispose() => harness.Dispose();
}
