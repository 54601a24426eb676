using System.CommandLine;
using ComfySnap.SnapshotBuilder;
using ComfySnap.Snapshots;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Serilog;

// `build --out DIR`: prepares a worker, refuses unsafe state, checkpoints it with CRIU.
var output = new Option<DirectoryInfo>("--out") { Description = "Snapshot folder (manifest.json + images/)", Required = true };
var worker = new Option<FileInfo>("--worker") { Description = "ComfySnap.Worker.dll to prepare", DefaultValueFactory = _ => new FileInfo(DefaultWorkerDll()) };
var models = new Option<DirectoryInfo>("--models-dir") { Description = "Models folder (one sub-folder per kind)", DefaultValueFactory = _ => new DirectoryInfo("models") };
var packs = new Option<DirectoryInfo>("--node-packs") { Description = "Node pack folder", DefaultValueFactory = _ => new DirectoryInfo("node_packs") };
var preload = new Option<string[]>("--preload") { Description = "Model to preload, as kind/name (repeatable)", AllowMultipleArgumentsPerToken = true };
var secrets = new Option<string[]>("--secret-env") { Description = "Environment variable names that must never be snapshotted (repeatable)" };
var signingKey = new Option<FileInfo>("--signing-key-file") { Description = $"Secret file with the key that signs the manifest (or set {SnapshotSigningKey.EnvironmentVariable})" };
var workDir = new Option<DirectoryInfo>("--work-dir")
{
    Description = "Working directory of the prepared worker (default OUT/prepare-cwd). It must exist where the snapshot is restored, " +
        "and restored workers write their outputs under it: in containers with a read-only snapshot volume use a path of the image (e.g. /data)",
};
var settings = new Option<string[]>("--setting")
{
    Description = "Worker setting for the prepared worker, as Section:Key=Value (repeatable; e.g. Snapshot:TrimNativeHeap=false)",
    AllowMultipleArgumentsPerToken = true,
};
var modelSets = new Option<string[]>("--model-set")
{
    Description = "Build one snapshot per model set instead, each in OUT/NAME, preloading its models (and every --preload): NAME=kind/a[,kind/b...] (repeatable); " +
        "workers name the same sets in Snapshot:ModelSets:NAME and find them under Snapshot:ModelSetDirectory=OUT",
    AllowMultipleArgumentsPerToken = true,
};
var timeout = new Option<int>("--prepare-timeout") { Description = "Seconds to wait for the worker to park", DefaultValueFactory = _ => 600 };

var build = new Command("build", "Prepare a worker and checkpoint it with CRIU") { output, worker, models, packs, preload, secrets, timeout, signingKey, workDir, settings, modelSets };
build.SetAction(async (parse, ct) =>
{
    Log.Logger = BuilderLogging.Create(Environment.GetEnvironmentVariable(BuilderLogging.FormatVariable));
    var services = new ServiceCollection()
        .AddLogging(l => l.AddSerilog())
        .Configure<CriuOptions>(_ => { })
        .AddSingleton<CriuRunner>()
        .AddSingleton<SnapshotBuilderService>()
        .BuildServiceProvider();
    try
    {
        var request = new BuildRequest(
            parse.GetValue(output)!.FullName,
            parse.GetValue(worker)!.FullName,
            Environment.GetEnvironmentVariable("COMFYSNAP_DOTNET") ?? "dotnet",
            parse.GetValue(models)!.FullName,
            parse.GetValue(packs)!.FullName,
            parse.GetValue(preload) ?? [],
            parse.GetValue(secrets) ?? [],
            TimeSpan.FromSeconds(parse.GetValue(timeout)),
            SnapshotSigningKey.Load(parse.GetValue(signingKey)?.FullName, Environment.GetEnvironmentVariable(SnapshotSigningKey.EnvironmentVariable)),
            parse.GetValue(workDir)?.FullName,
            WorkerSettings.Parse(parse.GetValue(settings) ?? []));
        var sets = ModelSetArguments.Parse(parse.GetValue(modelSets) ?? []);
        // One snapshot per set, one after another: each is a prepared worker of its own (the weights are
        // mappings of the shared model files, so each image holds only that worker's private memory).
        IEnumerable<BuildRequest> requests = sets.Count == 0 ? [request]
            : sets.Select(set => request with
            {
                OutputDirectory = Path.Combine(request.OutputDirectory, set.Name),
                Preload = [.. set.Models, .. request.Preload.Except(set.Models, StringComparer.Ordinal)],
            });
        foreach (var each in requests)
        {
            var manifest = await services.GetRequiredService<SnapshotBuilderService>().BuildAsync(each, ct);
            Console.WriteLine($"snapshot {manifest.SnapshotId}: {manifest.ImageBytes / 1048576.0:0.0} MiB in {each.OutputDirectory}");
            foreach (var phase in manifest.PreparePhases)
            {
                Console.WriteLine($"  {phase.Name,-40} {phase.Milliseconds,10:0.0} ms  {phase.Detail}");
            }
        }

        return 0;
    }
    catch (FormatException e)
    {
        Log.Error("{Message}", e.Message);
        return 2;
    }
    catch (SnapshotRefusedException e)
    {
        Log.Error("{Message}", e.Message);
        return 4;
    }
    catch (Exception e) when (e is CriuException or TimeoutException or InvalidOperationException or IOException or InvalidDataException)
    {
        Log.Error("Snapshot build failed: {Message}", e.Message);
        return 5;
    }
});

return await new RootCommand("ComfySnap SnapshotBuilder") { build }.Parse(args).InvokeAsync();

static string DefaultWorkerDll() => Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "Worker", "bin",
    Path.GetFileName(Path.GetDirectoryName(AppContext.BaseDirectory.TrimEnd('/'))) ?? "Release", "net10.0", "ComfySnap.Worker.dll");
