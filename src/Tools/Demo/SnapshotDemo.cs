using ComfySnap.Tools;
using System.Diagnostics;
using System.Text.Json;
using ComfySnap.Snapshots;
using ComfySnap.SnapshotBuilder;
using ComfySnap.Worker.Boot;
using ComfySnap.Diffusion.Models;
using ComfySnap.Diffusion.Models.StableDiffusion.Generation;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Spectre.Console;

namespace ComfySnap.Tools.Demo;

/// <summary>Where the snapshot demo keeps its snapshots and what it runs.</summary>
/// <param name="CacheDirectory">Snapshots by key (worker build + node packs + models recipe).</param>
/// <param name="WorkflowsDirectory">The shipped workflows.</param>
/// <param name="Criu">The criu binary.</param>
/// <param name="Dotnet">The dotnet host that runs workers.</param>
/// <param name="QuickTxt2Img">Run default-txt2img.json and sd15-controlnet.json at 256x256 with 4 steps instead of as shipped.</param>
/// <param name="WorkerDirectory">The worker build that is booted and snapshotted (its folder).</param>
/// <param name="Count">Run every workflow this many times on each worker (the first run of a fresh process pays one-time costs).</param>
public sealed record SnapshotDemoSettings(string CacheDirectory, string WorkflowsDirectory, string Criu, string Dotnet, bool QuickTxt2Img, string WorkerDirectory, int Count = 1);

/// <summary>
/// The demo with the product's point in it: builds (or reuses) a CRIU snapshot of a worker with a
/// small random-weight SD 1.x checkpoint preloaded, boots one worker cold and one restored from
/// it, and runs every shipped workflow on both over the prepared worker's control channel (no
/// broker needed). Worker output (TorchSharp's native warnings included) is drained, not shown.
/// </summary>
public sealed class SnapshotDemo(SnapshotDemoSettings settings, IAnsiConsole console)
{
    private string WorkerDirectory => settings.WorkerDirectory;

    private string WorkerDll => Path.Combine(WorkerDirectory, "ComfySnap.Worker.dll");

    // The worker references the builder: its build output sits next to the worker's.
    private string BuilderDll => Path.Combine(WorkerDirectory, "ComfySnap.SnapshotBuilder.dll");

    /// <summary>Why the snapshot demo cannot run here (then the in-memory demo runs), or null.</summary>
    public static string? Unavailable(string criu)
    {
        if (!OperatingSystem.IsLinux())
        {
            return "CRIU snapshots need Linux";
        }

        if (Environment.UserName != "root")
        {
            return $"CRIU needs root (running as {Environment.UserName})";
        }

        return File.Exists(criu) || criu == "criu" && Environment.GetEnvironmentVariable("PATH")?.Split(':').Any(p => File.Exists(Path.Combine(p, "criu"))) == true
            ? null
            : $"no criu binary at '{criu}' (./comfysnap bootstrap installs one)";
    }

    /// <summary>The snapshot for this worker build: reused when its key's folder has one, else built.</summary>
    public async Task<(BuildRequest Request, bool Reused)> EnsureSnapshotAsync(CancellationToken cancellationToken)
    {
        var root = Path.Combine(settings.CacheDirectory, DemoSnapshotKey.Of(WorkerDirectory, Path.Combine(settings.CacheDirectory, "node_packs")));
        var request = new BuildRequest(Path.Combine(root, "snapshot"), WorkerDll, settings.Dotnet, Path.Combine(root, "models"), Path.Combine(settings.CacheDirectory, "node_packs"),
            ["checkpoints/" + DemoAssets.CheckpointName], [], TimeSpan.FromMinutes(10));
        var reused = File.Exists(Path.Combine(request.OutputDirectory, SnapshotManifest.FileName));
        if (!reused)
        {
            await BuildAsync(root, request, cancellationToken);
        }

        return (request, reused);
    }

    public async Task<SnapshotDemoResult> RunAsync(CancellationToken cancellationToken)
    {
        var jobs = Workflows();
        var (request, reused) = await EnsureSnapshotAsync(cancellationToken);
        var snapshot = request.OutputDirectory;
        var root = Path.GetDirectoryName(snapshot)!;
        var manifest = await SnapshotManifest.ReadAsync(snapshot, cancellationToken);
        console.MarkupLine($"{(reused ? "reusing" : "built")} snapshot [bold]{Markup.Escape(manifest.SnapshotId)}[/] ({manifest.ImageBytes / 1048576.0:0} MiB image)");
        console.MarkupLine($"[grey]  in {Markup.Escape(snapshot)}[/]");
        await using var cold = await ColdWorker.StartAsync(request, PrepareDirectory(request), cancellationToken);
        var restorer = new SnapshotRestorer(
            new CriuRunner(Options.Create(new CriuOptions { Path = settings.Criu }), NullLogger<CriuRunner>.Instance),
            Options.Create(new SnapshotOptions
            {
                Directory = snapshot,
                WorkDirectory = Path.Combine(root, "restore-work"),
                WorkerDirectory = WorkerDirectory,
                HandshakeTimeout = TimeSpan.FromMinutes(2),
            }),
            Options.Create(new ModelStoreOptions()),
            NullLogger<SnapshotRestorer>.Instance);
        var watch = Stopwatch.StartNew();
        var outcome = await restorer.RestoreAsync(new ResumeConfig("demo-restored", new Dictionary<string, string?>()), cancellationToken);
        var restoredMs = watch.Elapsed.TotalMilliseconds;
        await using var restored = outcome.Restored ? outcome.Process : null;
        var restoredErrors = restored is null ? Task.CompletedTask : restored.StandardError.ReadToEndAsync(cancellationToken);
        var runs = new List<DemoRun>();
        foreach (var (name, workflow) in Enumerable.Range(1, settings.Count).SelectMany(run => jobs.Select(j => (settings.Count == 1 ? j.Name : $"{j.Name} #{run}", j.Workflow))))
        {
            var c = await ControlChannel.RunAsync(cold.Input, cold.Output, workflow, cancellationToken);
            var r = restored is null ? null : await ControlChannel.RunAsync(restored.StandardInput, restored.StandardOutput, workflow, cancellationToken);
            runs.Add(new DemoRun(name, c, r));
            if (r?.Error is not null)
            {
                console.MarkupLine($"[red]{Markup.Escape(name)} on the restored worker: {Markup.Escape(r.Error)}[/]");
            }
        }

        return new SnapshotDemoResult(
            manifest.SnapshotId,
            reused,
            cold.Boot,
            restored is null ? null : new DemoBoot("restored", outcome.Phases, restoredMs),
            outcome.Fallback?.ToString(),
            runs);
    }

    private async Task BuildAsync(string root, BuildRequest request, CancellationToken cancellationToken)
    {
        console.MarkupLine("building the demo snapshot (once per worker build): a worker with a");
        console.MarkupLine("small random-weight SD 1.x checkpoint preloaded ...");
        var models = request.ModelsDirectory;
        RandomCheckpoint.Write(CheckpointPreset.Small, Path.Combine(models, "checkpoints", DemoAssets.CheckpointName), "fp32");
        Directory.CreateDirectory(Path.Combine(models, "upscale_models"));
        DemoAssets.WriteTinyUpscaleModel(Path.Combine(models, "upscale_models", DemoAssets.UpscaleModelName));
        // The builder runs the prepared worker in snapshot/prepare-cwd: its LoadImage reads input/ there.
        var input = Directory.CreateDirectory(Path.Combine(PrepareDirectory(request), "input")).FullName;
        DemoAssets.WriteExampleImage(Path.Combine(input, DemoAssets.ExampleImageName));
        DemoAssets.WriteControlNet(Path.Combine(models, "controlnet", DemoAssets.ControlNetName), CheckpointPreset.Small);
        DemoAssets.WriteControlImage(Path.Combine(input, DemoAssets.ControlImageName));
        Directory.CreateDirectory(request.NodePackDirectory);
        PruneOtherSnapshots(root);

        var info = new ProcessStartInfo(request.Dotnet) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { BuilderDll, "build", "--out", request.OutputDirectory, "--worker", request.WorkerDll, "--models-dir", models, "--node-packs", request.NodePackDirectory, "--preload", request.Preload[0] })
        {
            info.ArgumentList.Add(a);
        }

        info.Environment["COMFYSNAP_DOTNET"] = request.Dotnet;
        info.Environment["COMFYSNAP_CRIU"] = settings.Criu;
        var watch = Stopwatch.StartNew();
        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        var stdout = await process.StandardOutput.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            TryDelete(request.OutputDirectory);
            var why = (stdout + await stderr).Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault(l => l.Contains("ERR", StringComparison.Ordinal) || l.Contains("fail", StringComparison.OrdinalIgnoreCase));
            throw new InvalidOperationException($"snapshot build failed (exit {process.ExitCode}): {why?.Trim() ?? "see the SnapshotBuilder's output"}");
        }

        console.MarkupLine($"snapshot built in {watch.Elapsed.TotalSeconds:0.0} s");
    }

    private List<(string Name, string Workflow)> Workflows() =>
        [.. Directory.EnumerateFiles(settings.WorkflowsDirectory, "*.json").Order(StringComparer.Ordinal).Select(f =>
        {
            var json = File.ReadAllText(f);
            if (settings.QuickTxt2Img && Path.GetFileName(f) is "default-txt2img.json" or "sd15-controlnet.json")
            {
                var graph = System.Text.Json.Nodes.JsonNode.Parse(json)!;
                graph["5"]!["inputs"]!["width"] = 256;
                graph["5"]!["inputs"]!["height"] = 256;
                graph["3"]!["inputs"]!["steps"] = 4;
                json = graph.ToJsonString();
            }

            return (Path.GetFileName(f), json);
        })];

    /// <summary>The prepared worker's working folder (the SnapshotBuilder's choice); the cold worker runs there too.</summary>
    private static string PrepareDirectory(BuildRequest request) => request.EffectiveWorkDirectory;

    // One snapshot per worker build: a rebuild makes the older ones unusable.
    private static void PruneOtherSnapshots(string root)
    {
        foreach (var other in Directory.EnumerateDirectories(Path.GetDirectoryName(root)!))
        {
            if (other != root && Path.GetFileName(other).Length == 16 && File.Exists(Path.Combine(other, "snapshot", SnapshotManifest.FileName)))
            {
                TryDelete(other);
            }
        }
    }

    private static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
            // a later build overwrites it
        }
    }
}
