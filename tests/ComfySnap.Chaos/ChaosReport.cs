using System.Text.Json;
using Spectre.Console;

namespace ComfySnap.Chaos;

/// <summary>Writes the outcome as JSON and shows it as a table.</summary>
public static class ChaosReport
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static async Task WriteAsync(string path, ChaosSettings settings, IReadOnlyList<Fault> plan, ChaosOutcome outcome, TimeSpan duration, CancellationToken ct)
    {
        var report = new Dictionary<string, object?>
        {
            ["command"] = settings.ReplayCommand,
            ["services"] = settings.Cluster ? "cluster: 3 RabbitMQ nodes, Redis primary + replica, 3 Sentinels" : "single RabbitMQ + Redis pair",
            ["load_average"] = LoadAverage(),
            ["finished_utc"] = DateTimeOffset.UtcNow,
            ["duration_s"] = Math.Round(duration.TotalSeconds, 1),
            ["seed"] = settings.Seed,
            ["workers"] = ChaosSettings.Workers,
            ["send_window_s"] = settings.SendWindow.TotalSeconds,
            ["answer_bound_s"] = ChaosSettings.AnswerBound.TotalSeconds,
            ["holds"] = outcome.Holds,
            ["outcome"] = outcome,
            ["schedule"] = plan.Select(f => new { at_s = f.At.TotalSeconds, kind = f.Kind.ToString(), slot = f.Slot, duration_s = f.Duration.TotalSeconds }),
        };
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        await File.WriteAllTextAsync(path, JsonSerializer.Serialize(report, Json) + "\n", ct);
    }

    public static void Show(ChaosOutcome o)
    {
        var table = new Table().AddColumns("measure", "value");
        table.AddRow("jobs", $"{o.Jobs}");
        table.AddRow("answered", $"{o.Answered}");
        table.AddRow(Mark(o.Lost.Count == 0, "lost"), $"{o.Lost.Count} {Examples(o.Lost)}");
        table.AddRow(Mark(o.Conflicting.Count == 0, "conflicting"), $"{o.Conflicting.Count} {Examples(o.Conflicting)}");
        table.AddRow("reexecuted", Pairs(o.Reexecuted));
        foreach (var line in o.UnexplainedReexecutions.Take(5))
        {
            table.AddRow("  unexplained", Markup.Escape(line));
        }

        table.AddRow("fenced (lease taken over from a stalled run)", $"{o.Fenced}");
        table.AddRow(Mark(o.DuplicatesNotMatchingFirst.Count == 0, "sent twice: not the first result"), $"{o.DuplicatesNotMatchingFirst.Count} of {o.DuplicateJobs} {Examples(o.DuplicatesNotMatchingFirst)}");
        table.AddRow("cancelled (answered Cancelled)", $"{o.CancelledJobs} ({o.CancelledAnsweredCancelled})");
        table.AddRow("failures other than Cancelled", Pairs(o.UnexpectedFailures));
        table.AddRow("faults injected", Pairs(o.FaultsInjected));
        table.AddRow("faults skipped (no ready worker)", Pairs(o.FaultsSkipped));
        table.AddRow("latency p50 / p99 (ms)", $"{o.LatencyP50Ms} / {o.LatencyP99Ms}");
        table.AddRow("worker boots by mode", Pairs(o.BootsByMode));
        table.AddRow("worker restarts", $"{o.WorkerRestarts}");
        foreach (var (kind, r) in o.RecoveryByKind)
        {
            table.AddRow($"answered again after {kind} (s)", Markup.Escape(
                $"{r.Count}x: any job p50 {Value(r.AnsweredAgainP50S)}, max {Value(r.AnsweredAgainMaxS)}; a job sent after it p50 {Value(r.SentAfterAnsweredP50S)}, max {Value(r.SentAfterAnsweredMaxS)}"));
        }

        AnsiConsole.Write(table);
    }

    // The machine's load while the run went on: every time in the report depends on it.
    private static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    private static string Value(double? seconds) => seconds is { } s ? s.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture) : "-";

    private static string Mark(bool ok, string name) => ok ? name : $"[red]{name}[/]";

    private static string Examples(IReadOnlyList<string> ids) => ids.Count == 0 ? "" : Markup.Escape($"(e.g. {string.Join(", ", ids.Take(3))})");

    private static string Pairs(IReadOnlyDictionary<string, int> values) =>
        values.Count == 0 ? "none" : Markup.Escape(string.Join(", ", values.Select(p => $"{p.Key} {p.Value}")));
}
