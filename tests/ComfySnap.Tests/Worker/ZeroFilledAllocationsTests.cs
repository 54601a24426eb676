using ComfySnap.Tests.Support;
using ComfySnap.Worker.Boot;
using static TorchSharp.torch;

namespace ComfySnap.Tests.Worker;

/// <summary>
/// Issue 24: libtorch's oneDNN convolution reads the unwritten channel padding of its buffers
/// (inputs of 17..31, 33..47, ... channels on AVX-512). Zero-filled allocations make that padding 0.
/// </summary>
public sealed class ZeroFilledAllocationsTests
{
    [Fact]
    public void The_test_process_zero_fills_as_the_worker_boot_does() =>
        Assert.True(ZeroFilledAllocations.IsEnabled());

    [Theory]
    [InlineData(20)]
    [InlineData(24)]
    [InlineData(40)]
    public void A_padded_onednn_convolution_over_recycled_nan_memory_gives_its_bias(int inChannels)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        // A batch of 2 takes the oneDNN path; zero weights leave only the bias, unless padding holds NaN.
        var input = rand(2, inChannels, 8, 12);
        var weight = zeros(4, inChannels, 3, 3);
        var bias = tensor(new[] { 0.25f, -0.5f, 0.75f, 1f });
        for (var i = 0; i < 5; i++)
        {
            HeapPoison.FillAndFreeWithNaN();
            var output = nn.functional.conv2d(input, weight, bias, padding: [1, 1]);
            Assert.True(output.eq(bias.view(1, 4, 1, 1)).all().item<bool>(), $"{output.isnan().sum().item<long>()} of {output.numel()} outputs are NaN");
        }
    }
}
