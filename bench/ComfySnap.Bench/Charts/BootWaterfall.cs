using System.Text.Json.Nodes;
using ScottPlot;

namespace ComfySnap.Bench.Charts;

/// <summary>
/// Cold boot against restore, phase by phase (medians of the boot suite's runs): one row per phase,
/// each bar starting where the previous phase ended, so the length of each mode's staircase is its
/// time to ready. A phase that runs beside another (image check) is drawn in sequence.
/// </summary>
public static class BootWaterfall
{
    private static readonly Color Cold = Color.FromHex("#4e79a7");
    private static readonly Color Restored = Color.FromHex("#f28e2b");

    public static bool Draw(JsonObject document, string path)
    {
        if (Phases(document, "cold_phases_median_ms") is not { Count: > 0 } cold || Phases(document, "restore_phases_median_ms") is not { Count: > 0 } restored)
        {
            return false;
        }

        var plot = new Plot();
        var bars = new List<Bar>();
        var ticks = new List<(double Position, string Label)>();
        var row = 0;
        // Restored on top: ScottPlot counts rows from the bottom, so add the cold rows first, reversed.
        foreach (var (phases, color, mode) in new[] { (cold, Cold, "cold"), (restored, Restored, "restored") })
        {
            var starts = new List<double>();
            var at = 0.0;
            foreach (var (_, ms) in phases)
            {
                starts.Add(at);
                at += ms;
            }

            for (var i = phases.Count - 1; i >= 0; i--)
            {
                var (name, ms) = phases[i];
                bars.Add(new Bar { Position = row, ValueBase = starts[i], Value = starts[i] + Math.Max(ms, 0.5), FillColor = color, LineWidth = 0 });
                ticks.Add((row, $"{mode}: {Shorten(name)}  {ms:0} ms"));
                row++;
            }

            row++; // a gap between the modes
        }

        var barPlot = plot.Add.Bars(bars);
        barPlot.Horizontal = true;
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual([.. ticks.Select(t => t.Position)], [.. ticks.Select(t => t.Label)]);
        plot.Axes.Left.MajorTickStyle.Length = 0;
        plot.Axes.Margins(left: 0, right: 0.05, bottom: 0.02, top: 0.02);
        var coldTotal = cold.Sum(p => p.Ms);
        var restoredTotal = restored.Sum(p => p.Ms);
        var profile = document["profile"]?.GetValue<string>() ?? "blob";
        plot.Title($"Boot to ready, {profile} profile: cold {coldTotal:0} ms vs restored {restoredTotal:0} ms (median phases)");
        plot.XLabel($"time since start (ms)     [{BenchCharts.Subtitle(document)}]");
        plot.Legend.ManualItems.Add(new LegendItem { LabelText = $"cold boot ({coldTotal:0} ms)", FillColor = Cold });
        plot.Legend.ManualItems.Add(new LegendItem { LabelText = $"restored from snapshot ({restoredTotal:0} ms)", FillColor = Restored });
        plot.Legend.Alignment = Alignment.LowerRight;
        plot.ShowLegend();
        plot.SavePng(path, 1200, 120 + (row * 26));
        return true;
    }

    private static List<(string Name, double Ms)>? Phases(JsonObject document, string key) =>
        document[key] is JsonObject phases ? [.. phases.Select(p => (p.Key, p.Value?.GetValue<double>() ?? 0))] : null;

    private static string Shorten(string name) => name.Length <= 34 ? name : name[..31] + "...";
}
