using ComfySnap.Tests.Nodes.Support;
using ComfySnap.Nodes.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace ComfySnap.Tests.Nodes;

public sealed class ImageInvertTests : IDisposable
{
    private readonly NodeHarness harness = new();

    [Fact]
    public void Subtracts_each_value_from_one_and_leaves_the_input_untouched()
    {
        using var scope = NewDisposeScope();
        var source = HostImage.Random(seed: 1, batch: 2, height: 4, width: 3, channels: 3);
        var input = source.ToTensor();

        var result = harness.Run(new ImageInvert(), ("image", input));

        var expected = source with { Data = source.Data.Select(v => 1f - v).ToArray() };
        expected.AssertClose(HostImage.From((Tensor)result.Values[0]!), 1e-7);
        source.AssertClose(HostImage.From(input), 0);
    }

    public void Dispose() => harness.Dispose();
}
