using static TorchSharp.torch;

namespace ComfySnap.Tests.Support;

/// <summary>
/// Leaves this thread's heap full of freed NaN-filled blocks, so that memory a kernel reads without
/// writing it first shows up as NaN in its output instead of as harmless zeros from fresh pages.
/// </summary>
public static class HeapPoison
{
    private static readonly long[] Sizes = [64, 256, 1024, 4096, 8192, 16384, 32768, 65536, 262144];

    public static void FillAndFreeWithNaN()
    {
        using var scope = NewDisposeScope();
        var blocks = Sizes.SelectMany(n => Enumerable.Range(0, 4).Select(_ => full(n, float.NaN))).ToList();
        foreach (var block in blocks)
        {
            block.Dispose();
        }
    }
}
