using static TorchSharp.torch;

namespace ComfySnap.Tests.Sampling.Support;

/// <summary>Element-wise comparisons with the reference's values; NaN matches NaN.</summary>
public static class Close
{
    /// <summary>Every |actual - expected| &lt;= relative * |expected| + absolute.</summary>
    public static void Values(float[] expected, float[] actual, double relative, double absolute, string what)
    {
        Assert.True(expected.Length == actual.Length, $"{what}: {actual.Length} values, expected {expected.Length}");
        for (var i = 0; i < expected.Length; i++)
        {
            if (float.IsNaN(expected[i]) && float.IsNaN(actual[i]))
            {
                continue;
            }

            var tolerance = (relative * Math.Abs(expected[i])) + absolute;
            Assert.True(
                Math.Abs((double)actual[i] - expected[i]) <= tolerance,
                $"{what}[{i}]: {actual[i]:R}, expected {expected[i]:R} (tolerance {tolerance:G3})");
        }
    }

    public static void Values(float[] expected, Tensor actual, double relative, double absolute, string what) =>
        Values(expected, actual.contiguous().data<float>().ToArray(), relative, absolute, what);

    /// <summary>The largest absolute difference, for reports on how close "close" is.</summary>
    public static double MaxAbsDiff(float[] expected, Tensor actual)
    {
        var values = actual.contiguous().data<float>().ToArray();
        return expected.Zip(values, (e, a) => float.IsNaN(e) && float.IsNaN(a) ? 0 : Math.Abs((double)e - a)).DefaultIfEmpty(0).Max();
    }
}
