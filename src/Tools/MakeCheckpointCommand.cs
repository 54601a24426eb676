using System.Diagnostics;
using ComfySnap.Diffusion.Models.StableDiffusion.Generation;
using Spectre.Console;

namespace ComfySnap.Tools;

/// <summary>`make-checkpoint`: writes a random-weight SD 1.x or SDXL checkpoint so the SD workflows run without downloading weights.</summary>
public static class MakeCheckpointCommand
{
    public static int Run(string preset, FileInfo? output, string? dtype, long seed, bool sideFile, bool dryRun, IAnsiConsole console)
    {
        IRandomCheckpointPreset chosen;
        try
        {
            chosen = CheckpointPreset.AnyNamed(preset);
        }
        catch (ArgumentException e)
        {
            console.MarkupLineInterpolated($"[red]{e.Message}[/]");
            return 2;
        }

        if (dryRun)
        {
            return Count(chosen, console);
        }

        if (output is null)
        {
            console.MarkupLine("[red]the output file is required (or --dry-run)[/]");
            return 2;
        }

        var watch = Stopwatch.StartNew();
        var written = RandomCheckpoint.Write(chosen, output.FullName, dtype, seed, sideFile);
        var table = new Table().AddColumns("", "");
        table.AddRow("file", Markup.Escape(written.Path));
        table.AddRow("preset / dtype / seed", $"{written.Preset} / {written.DType} / {written.Seed}");
        table.AddRow("tensors / parameters", $"{written.Tensors} / {written.Parameters:N0}");
        table.AddRow("size", $"{written.Bytes / 1048576.0:F1} MiB");
        table.AddRow("tensor data sha256", written.TensorDataSha256);
        if (written.SideFile is { } side)
        {
            table.AddRow("head counts", Markup.Escape(side));
        }

        table.AddRow("written in", $"{watch.Elapsed.TotalSeconds:F1} s");
        console.Write(table);
        console.MarkupLine("[yellow]Random weights: this checkpoint renders noise, not pictures. It exists to run and measure the pipeline.[/]");
        return 0;
    }

    /// <summary>Tensors and parameters per model part of a preset, from its layout alone.</summary>
    private static int Count(IRandomCheckpointPreset preset, IAnsiConsole console)
    {
        var layout = preset.Layout();
        var table = new Table().AddColumns("part", "tensors", "parameters");
        foreach (var part in layout.GroupBy(r => CheckpointParts.Of(r.Key)).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            table.AddRow(part.Key, $"{part.Count():N0}", $"{part.Sum(r => r.Shape.Aggregate(1L, (a, b) => a * b)):N0}");
        }

        table.AddRow("total", $"{layout.Count:N0}", $"{layout.Sum(r => r.Shape.Aggregate(1L, (a, b) => a * b)):N0}");
        console.MarkupLineInterpolated($"preset {preset.Name} (dry run, nothing written)");
        console.Write(table);
        return 0;
    }
}
