using System.Globalization;
using ComfySnap.Contracts;
using Spectre.Console;

namespace ComfySnap.Tools.Demo;

/// <summary>
/// The embedded demo's console output: the boot phases and one row per job, within 80 columns.
/// Identifiers (workflow files, phase names) never wrap: they are what a reader copies.
/// </summary>
public static class EmbeddedDemoReport
{
    public static void Write(IAnsiConsole console, IReadOnlyList<DemoJob> jobs, WorkerBooted booted)
    {
        console.Write(BootTable(booted));
        console.Write(JobTable(jobs));
        foreach (var j in jobs.Where(j => j.Failed is not null))
        {
            console.MarkupLine($"[red]{Markup.Escape($"{j.Workflow} run {j.Run}: {j.Failed!.Kind}: {j.Failed.Message}")}[/]");
        }

        console.MarkupLine($"[grey]default-txt2img.json ran on a random-weight stand-in for {DemoAssets.CheckpointName} (make-checkpoint tiny): its image is noise. With a real SD 1.x checkpoint, ./comfysnap worker run-workflow workflows/default-txt2img.json --models-dir DIR renders pictures.[/]");
        console.MarkupLine($"[grey]sd15-controlnet.json did the same with a random-weight stand-in for {DemoAssets.ControlNetName} (make-checkpoint controlnet-tiny).[/]");
    }

    public static Table BootTable(WorkerBooted booted)
    {
        var table = new Table().Title($"worker {Markup.Escape(booted.WorkerId)} booted ({booted.Mode})")
            .AddColumn(new TableColumn("phase").NoWrap())
            .AddColumn(new TableColumn("ms").RightAligned())
            .AddColumn("detail");
        foreach (var p in booted.Phases)
        {
            table.AddRow(Markup.Escape(p.Name), Ms(p.Ms), Markup.Escape(p.Detail ?? ""));
        }

        return table;
    }

    public static Table JobTable(IReadOnlyList<DemoJob> jobs)
    {
        // Two-line headers keep the numeric columns as narrow as their numbers.
        var table = new Table().Title("jobs (in-memory bus)")
            .AddColumn(new TableColumn("workflow").NoWrap())
            .AddColumn(new TableColumn("run").RightAligned())
            .AddColumn("cache")
            .AddColumn(new TableColumn("wait\nms").RightAligned())
            .AddColumn(new TableColumn("exec\nms").RightAligned())
            .AddColumn(new TableColumn("round\ntrip ms").RightAligned())
            .AddColumn(new TableColumn("outputs").NoWrap());
        foreach (var j in jobs)
        {
            var t = j.Completed?.Timings;
            table.AddRow(
                Markup.Escape(j.Workflow),
                j.Run.ToString(CultureInfo.InvariantCulture),
                j.Completed is null ? "" : j.Completed.FromCache ? "hit" : "miss",
                t is null ? "" : Ms(t.QueueWaitMs),
                t is null ? "" : Ms(t.ExecuteMs),
                Ms(j.RoundTripMs),
                j.Completed is { } done ? Outputs(done) : $"[red]{j.Failed?.Kind.ToString() ?? "failed"}[/]");
        }

        return table;
    }

    private static string Outputs(WorkflowCompleted completed) =>
        string.Create(CultureInfo.InvariantCulture, $"{completed.Outputs.Count}, {completed.Outputs.Sum(o => o.Size) / 1024.0:0.#} kB");

    // Tenths only where they matter: long runs keep the numeric columns narrow.
    private static string Ms(double ms) => ms.ToString(ms >= 100 ? "0" : "0.0", CultureInfo.InvariantCulture);
}
