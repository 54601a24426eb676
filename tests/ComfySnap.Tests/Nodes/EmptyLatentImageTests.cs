using ComfySnap.NodeSdk;
using ComfySnap.Tests.Nodes.Support;
using ComfySnap.Nodes.Core;
using static TorchSharp.torch;

namespace ComfySnap.Tests.Nodes;

public sealed class EmptyLatentImageTests : IDisposable
{
    private readonly NodeHarness harness = new();

    [Theory]
    [InlineData(512, 512, 1)]
    [InlineData(64, 136, 3)]
    [InlineData(20, 30, 2)] // not multiples of 8: floored, as ComfyUI's height // 8
    public void Is_a_zero_latent_an_eighth_of_the_image_size(int width, int height, int batch)
    {
        using var scope = NewDisposeScope();
        var result = harness.Run(new EmptyLatentImage(), ("width", (long)width), ("height", (long)height), ("batch_size", (long)batch));

        var latent = Assert.IsType<Latent>(Assert.Single(result.Values));
        Assert.Equal(new long[] { batch, 4, height / 8, width / 8 }, latent.Samples.shape);
        Assert.Equal(ScalarType.Float32, latent.Samples.dtype);
        Assert.Equal(0.0, latent.Samples.abs().sum().item<float>());
    }

    [Fact]
    public void Validate_flags_a_batch_over_the_limit()
    {
        var errors = new EmptyLatentImage().Validate(NodeHarness.Inputs(("width", 512L), ("height", 512L), ("batch_size", 65L)), harness.ValidationContext());

        var error = Assert.Single(errors);
        Assert.Equal(("limit_exceeded", "batch_size"), (error.Type, error.InputName));
    }

    public void Dispose() => harness.Dispose();
}
