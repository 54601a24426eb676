using System.Globalization;
using Spectre.Console;

namespace ComfySnap.Tools.Demo;

/// <summary>The snapshot demo's console output: two boot waterfalls on one time scale and the job table, within 80 columns.</summary>
public static class DemoReport
{
    private const int NameWidth = 22;
    private const int BarWidth = 44;

    public static void Write(IAnsiConsole console, SnapshotDemoResult result)
    {
        var boots = new[] { result.Cold, result.Restored }.Where(b => b is not null).Select(b => b!).ToList();
        var scale = boots.Max(b => Math.Max(b.ReadyMs, b.Phases.Sum(p => p.Milliseconds)));
        foreach (var boot in boots)
        {
            Waterfall(console, boot, scale);
        }

        if (result.Restored is { } r)
        {
            console.MarkupLine($"ready: cold [yellow]{Ms(result.Cold.ReadyMs)} ms[/], restored [green]{Ms(r.ReadyMs)} ms[/] ([bold]{result.Cold.ReadyMs / r.ReadyMs:0.0}x[/])");
        }
        else
        {
            console.MarkupLine($"[yellow]the restore fell back: {Markup.Escape(result.FallbackReason ?? "?")}; only the cold worker ran[/]");
        }

        var table = new Table().Title("jobs (same workflow on both workers)").AddColumns("workflow", "cold ms", "restored ms", "outputs");
        foreach (var run in result.Runs)
        {
            table.AddRow(
                Markup.Escape(run.Workflow),
                Answer(run.Cold),
                run.Restored is null ? "" : Answer(run.Restored),
                (run.Cold.Error ?? run.Restored?.Error) is { } error ? $"[red]{Markup.Escape(Cut(error, 30))}[/]"
                    : run.Restored is null ? Count(run.Cold)
                    : run.Restored.Sha256 == run.Cold.Sha256 ? $"{Count(run.Cold)}, identical" : "[red]differ[/]");
        }

        console.Write(table);
    }

    private static void Waterfall(IAnsiConsole console, DemoBoot boot, double scale)
    {
        var color = boot.Mode == "cold" ? "yellow" : "green";
        console.MarkupLine($"[bold {color}]{boot.Mode} boot[/]: ready in {Ms(boot.ReadyMs)} ms from launch");
        var offset = 0.0;
        foreach (var p in boot.Phases)
        {
            var start = (int)Math.Round(offset / scale * BarWidth);
            var length = Math.Max(1, (int)Math.Round(p.Milliseconds / scale * BarWidth));
            start = Math.Min(start, BarWidth - 1);
            length = Math.Min(length, BarWidth - start);
            var name = Cut(p.Name, NameWidth).PadRight(NameWidth);
            console.MarkupLine($"{Markup.Escape(name)} {Ms(p.Milliseconds),8} [grey]{new string('.', start)}[/][{color}]{new string('█', length)}[/]");
            offset += p.Milliseconds;
        }
    }

    private static string Answer(DemoAnswer a) => a.Error is null ? Ms(a.Ms) : "[red]failed[/]";

    private static string Count(DemoAnswer a) => $"{a.Sha256?.Split(',').Length ?? 0} file(s)";

    private static string Ms(double ms) => ms.ToString("0", CultureInfo.InvariantCulture);

    private static string Cut(string s, int max) => s.Length <= max ? s : s[..(max - 1)] + "…";
}
