using ComfySnap.Tools.Demo;
using Spectre.Console;

namespace ComfySnap.Tools;

/// <summary>
/// `demo` (default): the snapshot demo (a cold and a restored worker side by side), then the
/// embedded job run every user gets first (in-memory bus and cache, the shipped workflows, images
/// written to --out, timing table). Where CRIU or root is missing, or the snapshot cannot be
/// built, it says why in one line and runs only the embedded part (`demo --no-snapshot`).
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
                var snapshotOk = result.Runs.All(r => r.Cold.Error is null && r.Restored?.Error is null);
                console.MarkupLine($"[bold]embedded worker[/] (in-memory bus and cache): the shipped workflows, images written to {Markup.Escape(output.FullName)}");
                var embedded = await DemoCommand.RunAsync(output, count, null, console, cancellationToken);
                return snapshotOk && embedded == 0 ? 0 : 1;
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
