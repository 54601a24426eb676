using ComfySnap.Worker.Boot;
using TorchSharp;

namespace ComfySnap.Tests.Worker;

/// <summary>The worker turns NNPACK off at boot so no "Could not initialize NNPACK" warning floods the console.</summary>
public sealed class NnpackSwitchTests
{
    [Fact]
    public void Disabling_nnpack_reaches_libtorch_and_convolutions_still_run()
    {
        using var probe = torch.ones(1);
        Assert.True(NnpackSwitch.TryDisable());
        Assert.False(NnpackSwitch.IsEnabled());

        using var input = torch.ones(1, 3, 8, 8);
        using var weight = torch.ones(4, 3, 3, 3);
        using var output = torch.nn.functional.conv2d(input, weight, padding: [1, 1]);
        Assert.Equal(27f, output[0, 0, 4, 4].item<float>());
    }
}
