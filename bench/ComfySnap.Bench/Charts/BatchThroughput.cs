using System.Text.Json.Nodes;
using ScottPlot;

namespace ComfySnap.Bench.Charts;

/// <summary>Batch answers per second over the run (batch.json's completions_per_second, one count per second since the first send).</summary>
public static class BatchThroughput
{
    public static bool Draw(JsonObject document, string path)
    {
        if (BenchCharts.Numbers(document, "completions_per_second") is not { Length: > 0 } perSecond)
        {
            return false;
        }

        var plot = new Plot();
        var seconds = Enumerable.Range(0, perSecond.Length).Select(s => s + 0.5).ToArray();
        var line = plot.Add.Scatter(seconds, perSecond);
        line.LegendText = "answers per second";
        line.MarkerSize = 3;
        var mean = document["jobs_per_s"]?.GetValue<double>() ?? perSecond.Average();
        var average = plot.Add.HorizontalLine(mean, 2, Color.FromHex("#e15759"));
        average.LinePattern = LinePattern.Dashed;
        average.LegendText = $"whole run: {mean:0} jobs/s";
        var jobs = document["jobs"]?.GetValue<int>() ?? (int)perSecond.Sum();
        var workers = document["workers"]?.GetValue<int>() ?? 0;
        plot.Title($"Batch: {jobs:N0} jobs sent at once to {workers} workers, lost {document["lost"]?.GetValue<int>() ?? 0}, duplicates {document["duplicates"]?.GetValue<int>() ?? 0}");
        plot.XLabel($"time since the first send (s)     [{BenchCharts.Subtitle(document)}]");
        plot.YLabel("jobs answered per second");
        plot.Axes.Margins(bottom: 0);
        plot.Legend.Alignment = Alignment.LowerCenter;
        plot.ShowLegend();
        plot.SavePng(path, 1000, 480);
        return true;
    }
}
