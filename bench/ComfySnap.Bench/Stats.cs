namespace ComfySnap.Bench;

/// <summary>Median, percentiles and spread of a series of measurements.</summary>
public sealed record Stats(int Runs, double Median, double P90, double P99, double Min, double Max)
{
    public static Stats Of(IReadOnlyCollection<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0
            ? new Stats(0, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN)
            : new Stats(sorted.Length, Percentile(sorted, 0.5), Percentile(sorted, 0.9), Percentile(sorted, 0.99), sorted[0], sorted[^1]);
    }

    private static double Percentile(double[] sorted, double p)
    {
        var rank = p * (sorted.Length - 1);
        var low = (int)Math.Floor(rank);
        var high = (int)Math.Ceiling(rank);
        return sorted[low] + ((sorted[high] - sorted[low]) * (rank - low));
    }
}
