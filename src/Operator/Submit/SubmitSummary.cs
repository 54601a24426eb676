using System.Globalization;
using Spectre.Console;

namespace ComfySnap.Operator.Submit;

/// <summary>The table `submit` ends with (fits 80 columns), plus the first failures.</summary>
public static class SubmitSummary
{
    // done: completed in this run (cached: of which answered from the output cache); pending: no
    // answer yet; earlier: answered before this run (--resume); files: outputs written.
    public static void Write(IAnsiConsole console, string batchId, string output, BatchProgress p)
    {
        var table = new Table().Title($"batch {Markup.Escape(batchId)}").AddColumns("jobs", "done", "cached", "failed", "pending", "earlier", "files", "jobs/s");
        table.AddRow(
            N(p.Total),
            N(p.Completed),
            N(p.FromCache),
            p.Failed == 0 ? "0" : $"[red]{N(p.Failed)}[/]",
            p.Pending == 0 ? "0" : $"[yellow]{N(p.Pending)}[/]",
            N(p.Earlier),
            N(p.Outputs),
            p.Rate.ToString("0.0", CultureInfo.InvariantCulture));
        console.Write(table);
        var failures = p.Failures.Take(10).ToList();
        if (failures.Count > 0)
        {
            var failed = new Table().Title("failures (first 10)").AddColumns("job", "kind", "message");
            foreach (var (name, kind, message) in failures)
            {
                failed.AddRow(Markup.Escape(Cut(name, 24)), Markup.Escape(kind), Markup.Escape(Cut(message, 36)));
            }

            console.Write(failed);
        }

        console.MarkupLine($"outputs and state ({BatchJournal.FileName}) in {Markup.Escape(output)}");
        if (p.Pending > 0)
        {
            console.MarkupLine($"[yellow]{p.Pending} job(s) unanswered after {p.Elapsed.TotalSeconds:0} s: run again with --resume --out {Markup.Escape(output)}[/]");
        }
    }

    private static string N(int n) => n.ToString(CultureInfo.InvariantCulture);

    private static string Cut(string s, int max) => s.Length <= max ? s : s[..(max - 1)] + "…";
}
