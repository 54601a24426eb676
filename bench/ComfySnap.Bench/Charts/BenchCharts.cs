using System.Text.Json.Nodes;

namespace ComfySnap.Bench.Charts;

/// <summary>
/// Draws the PNG charts of bench/results from the suites' JSON (never by rerunning anything): boot
/// waterfalls (boot.json, boot-sd.json), latency histograms (overhead.json, cache.json) and batch
/// throughput (batch.json). A file or field that is missing (an older result, a suite not run) means
/// that chart is skipped and said so, never an error.
/// </summary>
public static class BenchCharts
{
    public static IReadOnlyList<string> DrawAll(string resultsDirectory, Action<string> report)
    {
        var written = new List<string>();
        void Try(string json, string png, Func<JsonObject, string, bool> draw)
        {
            var source = Path.Combine(resultsDirectory, json);
            if (!File.Exists(source))
            {
                report($"{png}: skipped, no {json}");
                return;
            }

            var target = Path.Combine(resultsDirectory, png);
            if (JsonNode.Parse(File.ReadAllText(source)) is JsonObject document && draw(document, target))
            {
                written.Add(target);
                report($"{png}: written");
            }
            else
            {
                report($"{png}: skipped, {json} lacks the fields it needs");
            }
        }

        Try("boot.json", "boot-waterfall.png", BootWaterfall.Draw);
        Try("boot-sd.json", "boot-sd-waterfall.png", BootWaterfall.Draw);
        Try("overhead.json", "overhead-histogram.png", (d, p) => LatencyHistogram.Draw(d, p, "Job overhead over RabbitMQ + Redis (trivial job)",
            ("overhead_samples_ms", "overhead: send -> WorkflowCompleted minus execute"), ("bus_floor_quorum_samples_ms", "bus alone, quorum queue")));
        Try("cache.json", "cache-histogram.png", (d, p) => LatencyHistogram.Draw(d, p, "Cache hit over RabbitMQ + Redis",
            ("cache_hit_samples_ms", "cache hit: send -> WorkflowCompleted")));
        Try("batch.json", "batch-throughput.png", BatchThroughput.Draw);
        return written;
    }

    internal static double[]? Numbers(JsonObject document, string key) =>
        document[key] is JsonArray array ? [.. array.Select(n => n?.GetValue<double>() ?? double.NaN).Where(double.IsFinite)] : null;

    internal static string Subtitle(JsonObject document) =>
        $"source: {document["command"]?.GetValue<string>() ?? "./comfysnap bench"}, {document["finished_at"]?.GetValue<string>()?[..10] ?? "?"}, " +
        $"{document["machine"]?["Cores"]?.GetValue<int>().ToString() ?? "?"} vCPU";
}
