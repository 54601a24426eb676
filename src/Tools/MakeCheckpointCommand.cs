using System.Diagnostics;
using ComfySnap.Diffusion.Models.StableDiffusion.Generation;
using Spectre.Console;

namespace ComfySnap.Tools;

/// <summary>`make-checkpoint`: writes a random-weight SD 1.x checkpoint or ControlNet so the SD workflows run without downloading weights.</summary>
public static class MakeCheckpointCommand
{
    public static int Run(string preset, FileInfo output, string? dtype, long seed, bool sideFile, IAnsiConsole console)
    {
        Func<GeneratedCheckpoint> write;
        try
        {
            if (ControlNetPreset.IsControlNet(preset))
            {
                var controlNet = ControlNetPreset.Named(preset);
                write = () => RandomControlNet.Write(controlNet, output.FullName, dtype, seed, sideFile);
            }
            else
            {
                var checkpoint = CheckpointPreset.Named(preset);
                write = () => RandomCheckpoint.Write(checkpoint, output.FullName, dtype, seed, sideFile);
            }
        }
        catch (ArgumentException e)
        {
            console.MarkupLineInterpolated($"[red]{e.Message}[/]");
            return 2;
        }

        var watch = Stopwatch.StartNew();
        var written = write();
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
}
