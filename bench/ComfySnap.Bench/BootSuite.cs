using System.Diagnostics;
using System.Text.Json;
using ComfySnap.SnapshotBuilder;
using ComfySnap.Snapshots;
using ComfySnap.Worker.Boot;
using ComfySnap.Worker.Models.Diffusion.Generation;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Spectre.Console;

namespace ComfySnap.Bench;

/// <summary>
/// `boot`: the same worker profile (a preloaded model, every shipped node pack) started cold and
/// restored from its snapshot, alternating, with the page cache warm and dropped. Measures time
/// to ready (BOOTED) and to the first completed job, and checks that every first job answered the
/// same image. Profiles: "blob" preloads a small SD checkpoint padded with unused tensors to
/// <paramref name="modelMiB"/> MiB and blurs a 256x256 image; "sd" preloads a checkpoint of
/// <paramref name="preset"/> (SD 1.5's sizes by default) and renders ComfyUI's default graph at
/// 256x256 with one step.
/// </summary>
public sealed class BootSuite(BenchContext context, int runs, int modelMiB, string profile, CheckpointPreset preset)
{
    public const string BlobProfile = "blob";
    public const string SdProfile = "sd";

    private const string BlurJob = """
        {"1":{"class_type":"EmptyImage","inputs":{"width":256,"height":256,"batch_size":1,"color":255}},
         "2":{"class_type":"ImageBlur","inputs":{"image":["1",0],"blur_radius":3,"sigma":1.5}},
         "3":{"class_type":"PreviewImage","inputs":{"images":["2",0]}}}
        """;

    /// <summary>ComfyUI's default graph with the bench checkpoint, 256x256 and one step.</summary>
    public static string DefaultWorkflowJob(string repoRoot, string checkpointName, int size, int steps)
    {
        var graph = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(repoRoot, "workflows", "default-txt2img.json")))!;
        graph["4"]!["inputs"]!["ckpt_name"] = checkpointName;
        graph["5"]!["inputs"]!["width"] = size;
        graph["5"]!["inputs"]!["height"] = size;
        graph["3"]!["inputs"]!["steps"] = steps;
        return graph.ToJsonString();
    }

    public async Task<Dictionary<string, object?>> RunAsync(CancellationToken ct)
    {
        var models = new BenchModels(Path.Combine(context.WorkDirectory, "models"));
        var checkpoint = profile switch
        {
            BlobProfile => models.PaddedCheckpoint(modelMiB),
            SdProfile => models.Checkpoint(preset),
            _ => throw new ArgumentException($"unknown boot profile '{profile}' ({BlobProfile}, {SdProfile})"),
        };
        var work = Path.Combine(context.WorkDirectory, profile == BlobProfile ? "boot" : "boot-" + profile);
        var firstJob = profile == BlobProfile ? BlurJob : DefaultWorkflowJob(context.RepoRoot, checkpoint, 256, 1);
        var model = models.PathOf(checkpoint);
        var request = new BuildRequest(Path.Combine(work, "snapshot"), context.WorkerDll, context.Dotnet, models.Directory, context.NodePackDirectory,
            [$"{BenchModels.Kind}/{checkpoint}"], [], TimeSpan.FromMinutes(20));
        AnsiConsole.MarkupLineInterpolated($"  profile {profile}: {checkpoint} ({new FileInfo(model).Length / 1048576.0:F0} MiB), building the snapshot ...");
        var builder = new SnapshotBuilderService(context.Criu, NullLogger<SnapshotBuilderService>.Instance);
        var manifest = await builder.BuildAsync(request, ct);
        var restorer = new SnapshotRestorer(context.Criu, Options.Create(new SnapshotOptions
        {
            Directory = request.OutputDirectory,
            WorkDirectory = Path.Combine(work, "restore-work"),
            WorkerDirectory = Path.GetDirectoryName(context.WorkerDll)!,
            HandshakeTimeout = TimeSpan.FromMinutes(5), // a restored SD 1.5 worker pages in 4.3 GB of weights first
            LazyPages = Environment.GetEnvironmentVariable("COMFYSNAP_Snapshot__LazyPages") == "true",
        }), NullLogger<SnapshotRestorer>.Instance);

        var samples = new List<(string Mode, string Cache, double Ready, double FirstJob, IReadOnlyList<BootPhase> Phases)>();
        var answers = new List<(string Mode, string Answer)>();
        foreach (var cache in new[] { "warm", "dropped" })
        {
            for (var i = 0; i < runs; i++)
            {
                foreach (var mode in new[] { "cold", "restore" })
                {
                    if (cache == "dropped" && !DropPageCache())
                    {
                        continue;
                    }

                    var sample = mode == "cold" ? await ColdAsync(request, firstJob, ct) : await RestoreAsync(restorer, firstJob, ct);
                    samples.Add((mode, cache, sample.Ready, sample.FirstJob, sample.Phases));
                    answers.Add((mode, sample.Answer));
                    AnsiConsole.MarkupLineInterpolated($"  {cache,-7} {mode,-7} run {i + 1}: ready {sample.Ready:0} ms, first job {sample.FirstJob:0} ms");
                }
            }
        }

        var result = new Dictionary<string, object?> { ["image_bytes"] = manifest.ImageBytes, ["model_bytes"] = new FileInfo(model).Length, ["runs_per_mode"] = runs };
        result["profile"] = profile;
        result["model"] = checkpoint;
        // Every first job, cold or restored, must have answered the same image.
        var distinct = answers.Select(a => a.Answer).Distinct(StringComparer.Ordinal).ToList();
        result["first_job_identical"] = distinct.Count == 1;
        result["first_job_sha256"] = answers.GroupBy(a => a.Mode).ToDictionary(g => g.Key, g => g.Select(a => a.Answer["RESULT ".Length..]).Distinct(StringComparer.Ordinal).ToList());
        if (distinct.Count != 1)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]first jobs answered {distinct.Count} different images: {string.Join(" | ", distinct)}[/]");
        }

        foreach (var cache in samples.Select(s => s.Cache).Distinct())
        {
            var suffix = cache == "warm" ? "" : "_cache_dropped";
            Stats Of(string mode, Func<(string Mode, string Cache, double Ready, double FirstJob, IReadOnlyList<BootPhase> Phases), double> pick) =>
                Stats.Of([.. samples.Where(s => s.Mode == mode && s.Cache == cache).Select(pick)]);
            var coldReady = Of("cold", s => s.Ready);
            var restoreReady = Of("restore", s => s.Ready);
            var coldJob = Of("cold", s => s.FirstJob);
            var restoreJob = Of("restore", s => s.FirstJob);
            result["cold_ready_ms" + suffix] = coldReady;
            result["restore_ready_ms" + suffix] = restoreReady;
            result["speedup_ready" + suffix] = coldReady.Median / restoreReady.Median;
            result["cold_first_job_ms" + suffix] = coldJob;
            result["restore_first_job_ms" + suffix] = restoreJob;
            result["speedup_first_job" + suffix] = coldJob.Median / restoreJob.Median;
            foreach (var mode in new[] { "cold", "restore" })
            {
                result[$"{mode}_phases_median_ms{suffix}"] = samples.Where(s => s.Mode == mode && s.Cache == cache)
                    .SelectMany(s => s.Phases).GroupBy(p => p.Name).ToDictionary(g => g.Key, g => Stats.Of([.. g.Select(p => p.Milliseconds)]).Median);
            }
        }

        return result;
    }

    private static async Task<(double Ready, double FirstJob, IReadOnlyList<BootPhase> Phases, string Answer)> ColdAsync(BuildRequest request, string firstJob, CancellationToken ct)
    {
        var info = new ProcessStartInfo(request.Dotnet) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(request.WorkerDll);
        info.ArgumentList.Add("prepare");
        info.Environment.Clear();
        foreach (var (k, v) in PreparedWorkerEnvironment.For(request))
        {
            info.Environment[k] = v;
        }

        var watch = Stopwatch.StartNew();
        using var process = Process.Start(info)!;
        _ = process.StandardError.ReadToEndAsync(ct);
        await process.StandardInput.WriteLineAsync(JsonSerializer.Serialize(new ResumeConfig("bench-cold", new Dictionary<string, string?>())));
        await process.StandardInput.FlushAsync(ct);
        var phases = new List<BootPhase>();
        while (await process.StandardOutput.ReadLineAsync(ct) is { } line)
        {
            if (line.StartsWith(PrepareProtocol.ReadyPrefix, StringComparison.Ordinal))
            {
                phases.AddRange(PrepareProtocol.ParseReady(line).Select(p => new BootPhase(p.Name, p.Milliseconds)));
            }
            else if (line.StartsWith(PrepareProtocol.BootedPrefix, StringComparison.Ordinal))
            {
                phases.AddRange(PrepareProtocol.ParseBooted(line).Phases.Select(p => new BootPhase(p.Name, p.Milliseconds)));
                break;
            }
        }

        var ready = watch.Elapsed.TotalMilliseconds;
        await process.StandardInput.WriteLineAsync(JsonSerializer.Serialize(firstJob));
        await process.StandardInput.FlushAsync(ct);
        var answer = await process.StandardOutput.ReadLineAsync(ct);
        var firstJobMs = watch.Elapsed.TotalMilliseconds;
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync(ct);
        return answer?.StartsWith("RESULT ", StringComparison.Ordinal) == true ? (ready, firstJobMs, phases, answer) : throw new InvalidOperationException($"cold worker answered '{answer}'");
    }

    private static async Task<(double Ready, double FirstJob, IReadOnlyList<BootPhase> Phases, string Answer)> RestoreAsync(SnapshotRestorer restorer, string firstJob, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        var outcome = await restorer.RestoreAsync(new ResumeConfig("bench-restore", new Dictionary<string, string?>()), ct);
        if (!outcome.Restored)
        {
            throw new InvalidOperationException($"restore fell back: {outcome.Fallback}");
        }

        await using var process = outcome.Process!;
        var ready = watch.Elapsed.TotalMilliseconds;
        await process.StandardInput.WriteLineAsync(JsonSerializer.Serialize(firstJob));
        await process.StandardInput.FlushAsync(ct);
        var answer = await process.StandardOutput.ReadLineAsync(ct);
        var firstJobMs = watch.Elapsed.TotalMilliseconds;
        return answer?.StartsWith("RESULT ", StringComparison.Ordinal) == true ? (ready, firstJobMs, outcome.Phases, answer) : throw new InvalidOperationException($"restored worker answered '{answer}'");
    }

    // Drops the page cache so both modes read their files from disk (needs root).
    private static bool DropPageCache()
    {
        try
        {
            Process.Start("sync")?.WaitForExit();
            File.WriteAllText("/proc/sys/vm/drop_caches", "3");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
