using System.Globalization;
using ComfySnap.Worker.Boot;
using ComfySnap.Engine.Execution;
using Spectre.Console;

namespace ComfySnap.Worker.Cli;

/// <summary>Console tables for per-node timings and boot phases.</summary>
public static class TimingTable
{
    public static void WriteNodes(IAnsiConsole console, string title, ExecutionResult result)
    {
        var table = new Table().Title(title).AddColumns("node", "class_type", "ms", "cache");
        foreach (var t in result.Timings)
        {
            table.AddRow(t.NodeId, t.ClassType, Ms(t.Milliseconds), t.CacheHit ? "hit" : "miss");
        }

        table.AddRow("", "[bold]total[/]", $"[bold]{Ms(result.TotalMilliseconds)}[/]", $"{result.CacheHits} hit(s)");
        console.Write(table);
    }

    public static void WritePhases(IAnsiConsole console, string title, IEnumerable<BootPhase> phases)
    {
        var table = new Table().Title(title).AddColumns("phase", "ms", "detail");
        foreach (var p in phases)
        {
            table.AddRow(Markup.Escape(p.Name), Ms(p.Milliseconds), Markup.Escape(p.Detail ?? ""));
        }

        console.Write(table);
    }

    private static string Ms(double ms) => ms.ToString("0.0", CultureInfo.InvariantCulture);
}
