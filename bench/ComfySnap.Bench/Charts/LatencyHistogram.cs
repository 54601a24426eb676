using System.Text.Json.Nodes;
using ScottPlot;

namespace ComfySnap.Bench.Charts;

/// <summary>Histograms of per-job latencies a suite kept in its JSON (keys ending in _samples_ms), with the p50 and p99 marked.</summary>
public static class LatencyHistogram
{
    private static readonly Color[] Palette = [Color.FromHex("#4e79a7"), Color.FromHex("#f28e2b"), Color.FromHex("#59a14f")];

    public static bool Draw(JsonObject document, string path, string title, params (string Key, string Label)[] series)
    {
        var present = series.Select(s => (s.Label, Samples: BenchCharts.Numbers(document, s.Key))).Where(s => s.Samples is { Length: > 0 }).ToList();
        if (present.Count == 0)
        {
            return false;
        }

        // One bin width for all series, from 0 to the largest p99 (+ 20%): the tail beyond is counted in the last bin.
        var upper = present.Max(s => Percentile(s.Samples!, 0.99)) * 1.2;
        const int binCount = 40;
        var width = upper / binCount;
        var plot = new Plot();
        for (var i = 0; i < present.Count; i++)
        {
            var (label, samples) = present[i];
            var counts = new double[binCount];
            foreach (var v in samples!)
            {
                counts[Math.Clamp((int)(v / width), 0, binCount - 1)]++;
            }

            var color = Palette[i % Palette.Length];
            var bars = plot.Add.Bars([.. Enumerable.Range(0, binCount).Select(b => (b + 0.5) * width)], counts);
            bars.Color = color.WithAlpha(0.6);
            foreach (var bar in bars.Bars)
            {
                bar.Size = width * 0.95;
                bar.LineWidth = 0;
            }

            var p50 = Percentile(samples, 0.5);
            var p99 = Percentile(samples, 0.99);
            bars.LegendText = $"{label}: n={samples.Length}, p50 {p50:0.0} ms, p99 {p99:0.0} ms";
            var line50 = plot.Add.VerticalLine(p50, 2, color);
            line50.LinePattern = LinePattern.Solid;
            var line99 = plot.Add.VerticalLine(p99, 2, color);
            line99.LinePattern = LinePattern.Dashed;
        }

        plot.Title(title);
        plot.XLabel($"latency (ms); line p50, dashed p99   [{BenchCharts.Subtitle(document)}]");
        plot.YLabel("jobs");
        plot.Axes.Margins(bottom: 0);
        plot.Legend.Alignment = Alignment.UpperRight;
        plot.ShowLegend();
        plot.SavePng(path, 1000, 520);
        return true;
    }

    private static double Percentile(double[] values, double p)
    {
        var sorted = values.Order().ToArray();
        var rank = p * (sorted.Length - 1);
        var low = (int)Math.Floor(rank);
        var high = (int)Math.Ceiling(rank);
        return sorted[low] + ((sorted[high] - sorted[low]) * (rank - low));
    }
}
