using ComfySnap.Worker.Cli.Demo;
using Spectre.Console;

namespace ComfySnap.Worker.Cli;

/// <summary>
/// `demo` (default): the snapshot demo; where CRIU or root is missing, or the snapshot cannot be
/// built, says why in one line and runs the embedded in-memory demo (`demo --no-snapshot`) instead.
/// </summary>
public static class SnapshotDemoCommand
{
    public static async Task<int> RunAsync(SnapshotDemoSettings settings, DirectoryInfo output, int count, IAnsiConsole console, CancellationToken cancellationToken)
    {
        var why = SnapshotDemo.Unavailable(settings.Criu);
        if (why is null)
        {
            try
            {
                var result = await new SnapshotDemo(settings, console).RunAsync(cancellationToken);
                DemoReport.Write(console, result);
                return result.Runs.All(r => r.Cold.Error is null && r.Restored?.Error is null) ? 0 : 1;
            }
            catch (Exception e) when (e is InvalidOperationException or IOException or ComfySnap.Snapshots.CriuException)
            {
                why = e.Message;
            }
        }

        console.MarkupLine($"[yellow]no snapshot demo: {Markup.Escape(why)}. Running the in-memory demo (--no-snapshot) instead.[/]");
        return await DemoCommand.RunAsync(output, count, null, console, cancellationToken);
    }
}
