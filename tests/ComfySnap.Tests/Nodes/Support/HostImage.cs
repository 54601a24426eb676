using TorchSharp;
using static TorchSharp.torch;

namespace ComfySnap.Tests.Nodes.Support;

/// <summary>An image batch [B,H,W,C] as a plain float array, for reference computations in C#.</summary>
public sealed record HostImage(float[] Data, int Batch, int Height, int Width, int Channels)
{
    public float this[int b, int y, int x, int c]
    {
        get => Data[Index(b, y, x, c)];
        set => Data[Index(b, y, x, c)] = value;
    }

    public static HostImage Random(int seed, int batch, int height, int width, int channels)
    {
        var random = new Random(seed);
        var data = new float[batch * height * width * channels];
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = random.NextSingle();
        }

        return new HostImage(data, batch, height, width, channels);
    }

    public static HostImage Zeros(int batch, int height, int width, int channels) =>
        new(new float[batch * height * width * channels], batch, height, width, channels);

    public static HostImage From(Tensor image)
    {
        Assert.Equal(4, image.dim());
        Assert.Equal(ScalarType.Float32, image.dtype);
        var data = image.contiguous().data<float>().ToArray();
        return new HostImage(data, (int)image.shape[0], (int)image.shape[1], (int)image.shape[2], (int)image.shape[3]);
    }

    public Tensor ToTensor() => tensor(Data, [Batch, Height, Width, Channels], ScalarType.Float32);

    /// <summary>Fails with the first position that differs by more than <paramref name="tolerance"/>.</summary>
    public void AssertClose(HostImage actual, double tolerance)
    {
        Assert.Equal((Batch, Height, Width, Channels), (actual.Batch, actual.Height, actual.Width, actual.Channels));
        for (var i = 0; i < Data.Length; i++)
        {
            if (!(Math.Abs(Data[i] - actual.Data[i]) <= tolerance))
            {
                Assert.Fail($"element {i}: expected {Data[i]}, got {actual.Data[i]} (tolerance {tolerance})");
            }
        }
    }

    private int Index(int b, int y, int x, int c) => (((((b * Height) + y) * Width) + x) * Channels) + c;
}
