using TorchSharp;
using static TorchSharp.torch;

namespace ComfySnap.Tests.Foundation;

/// <summary>Proves the native TorchSharp runtime loads under `dotnet test` on this host.</summary>
public sealed class TorchSharpRuntimeTests
{
    [Fact]
    public void Matrix_product_runs_on_the_native_runtime()
    {
        using var scope = NewDisposeScope();
        var a = arange(6, dtype: float32).reshape(2, 3);
        var b = ones(3, 2, dtype: float32);

        var product = a.matmul(b);

        Assert.Equal(new long[] { 2, 2 }, product.shape);
        Assert.Equal(new[] { 3f, 3f, 12f, 12f }, product.data<float>().ToArray());
        Assert.Equal(DeviceType.CPU, product.device_type);
    }
}
