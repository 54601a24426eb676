using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using ComfySnap.Contracts;
using Spectre.Console;

namespace ComfySnap.Operator.Tail;

/// <summary>Renders tail events: aligned rows (80 columns, detail lines indented) or JSON lines.</summary>
public static class TailFormatter
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
    };

    public const string Header = "time     kind    worker       job              detail";

    public static string ToJson(TailEvent e) => JsonSerializer.Serialize(
        new { kind = e.Event.GetType().Name, at = e.At, workerId = e.WorkerId, batchId = e.BatchId, jobId = e.JobId, @event = e.Event }, Json);

    /// <summary>Markup lines for one event.</summary>
    public static IEnumerable<string> ToRows(TailEvent e)
    {
        // Job ids start with their batch id: the end tells jobs apart.
        var head = $"{e.At.ToLocalTime():HH:mm:ss} {Pad(e.Kind, 7)} {Pad(e.WorkerId ?? "?", 12)} {Pad(Tail(e.JobId ?? "", 16), 16)} ";
        switch (e.Event)
        {
            case WorkerBooted b:
                var color = b.Mode == BootMode.Restored ? "green" : "yellow";
                yield return Markup.Escape(head) + $"[{color}]{b.Mode}[/] {Ms(b.Phases.Sum(p => p.Ms))} ms";
                if (b.FallbackReason is { } fallback)
                {
                    yield return $"  [yellow]fallback {Markup.Escape(fallback.Kind)}: {Markup.Escape(Cut(fallback.Message, 56))}[/]";
                }

                foreach (var p in b.Phases)
                {
                    yield return Markup.Escape($"  {Pad(p.Name, 24)} {Ms(p.Ms),9} ms  {Cut(p.Detail ?? "", 38)}");
                }

                break;
            case JobTimings t:
                yield return Markup.Escape(head + Cut($"total {Int(t.TotalMs)} ms, wait {Int(t.QueueWaitMs)}", 80 - head.Length));
                yield return Markup.Escape($"  cache lookup {Ms(t.CacheLookupMs)} ms, model load {Ms(t.ModelLoadMs)} ms, execute {Ms(t.ExecuteMs)} ms, store {Ms(t.OutputStoreMs)} ms");
                foreach (var n in t.Nodes)
                {
                    yield return Markup.Escape($"  {Pad(n.NodeId, 6)} {Pad(n.ClassType, 28)} {Ms(n.Ms),9} ms{(n.CacheHit ? "  cached" : "")}");
                }

                break;
            case WorkflowFailed f:
                yield return Markup.Escape(head) + $"[red]{f.Kind}[/] " + Markup.Escape(Cut(f.Message, 80 - head.Length - f.Kind.ToString().Length - 1));
                break;
        }
    }

    private static string Ms(double ms) => ms.ToString("0.0", CultureInfo.InvariantCulture);

    private static string Int(double ms) => ms.ToString("0", CultureInfo.InvariantCulture);

    private static string Tail(string s, int max) => s.Length <= max ? s : "…" + s[^(max - 1)..];

    private static string Pad(string s, int width) => Cut(s, width).PadRight(width);

    private static string Cut(string s, int max) => max <= 1 ? "" : s.Length <= max ? s : s[..(max - 1)] + "…";
}
