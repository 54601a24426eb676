using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using ComfySnap.Diffusion.Models.StableDiffusion.Generation;
using ComfySnap.Diffusion.Models.StableDiffusion.Unet;
using Spectre.Console;

namespace ComfySnap.Bench;

/// <summary>
/// `diffusion`: Stable Diffusion compute on this machine with a random-weight checkpoint of
/// <paramref name="preset"/> (SD 1.5's sizes by default). In a child process: seconds per UNet
/// step at <paramref name="size"/> with cfg (one batch-2 forward), per text encode and per VAE
/// decode, and that process's peak RSS. In the same run, when the reference environment (the
/// sdref chroot) is present: the same UNet step by the reference's PyTorch on the same checkpoint
/// and thread count, and the ratio. Then RSS over <paramref name="renders"/> consecutive renders of
/// the default graph (small checkpoint, 64x64, 2 steps) in one engine.
/// </summary>
public sealed class DiffusionSuite(BenchContext context, int runs, IRandomCheckpointPreset preset, int size, int threads, int renders)
{
    /// <summary>Renders of the RSS part that count as warm-up (model load, allocator and caches growing to their working size); fewer when there are at most as many renders.</summary>
    public const int RssWarmupRenders = 5;

    private const string NotPresent = "reference environment not present";

    /// <summary>The cfg scale both sides use (it changes no cost: each step is one conditional and one unconditional UNet pass).</summary>
    private const double SdcppCfg = 8;

    public async Task<Dictionary<string, object?>> RunAsync(CancellationToken ct)
    {
        if (size % 8 != 0 || size < 64)
        {
            throw new ArgumentException($"--size must be a multiple of 8, at least 64 (got {size})");
        }

        if (renders < 2 || runs < 1)
        {
            throw new ArgumentException($"--renders must be at least 2 and --runs at least 1 (got {renders}, {runs})");
        }

        var work = Path.Combine(context.WorkDirectory, "diffusion");
        var models = new BenchModels(Path.Combine(context.WorkDirectory, "models"));
        var checkpoint = models.Checkpoint(preset);
        var convertedBefore = File.Exists(models.ConvertedFileOf(checkpoint));
        var result = new Dictionary<string, object?>
        {
            ["preset"] = preset.Name,
            ["checkpoint"] = checkpoint,
            ["checkpoint_bytes"] = new FileInfo(models.PathOf(checkpoint)).Length,
            ["size"] = size,
            ["runs"] = runs,
        };

        AnsiConsole.MarkupLineInterpolated($"  C# (child process): {checkpoint}, {size}x{size}, {runs} runs{(convertedBefore ? "" : " (first load converts the weights to fp32 once)")}");
        var measured = await RunChildAsync<DiffusionMeasurement>([DiffusionChild.UnetCommand, models.Directory, work, checkpoint,
            Arg(size), Arg(runs), Arg(threads)], ct);
        var unet = Stats.Of(measured.UnetStepS);
        result["unet_step_s"] = unet;
        // Models:UnetDtype=bf16, timed interleaved with fp32 in the same child process.
        var bf16 = Stats.Of(measured.Bf16.UnetStepS);
        result["bf16_unet_step_s"] = bf16;
        result["bf16_speedup"] = unet.Median / bf16.Median;
        result["bf16_load_s"] = measured.Bf16.LoadS;
        result["bf16_image_max_abs"] = measured.Bf16.ImageMaxAbs;
        result["bf16_image_mean_abs"] = measured.Bf16.ImageMeanAbs;
        result["text_encode_s"] = Stats.Of(measured.TextEncodeS);
        result["vae_decode_s"] = Stats.Of(measured.VaeDecodeS);
        result["load_s"] = measured.LoadS;
        result["load_converted_weights"] = !convertedBefore;
        result["rss_after_load_mib"] = measured.RssAfterLoadMib;
        result["peak_rss_mib"] = measured.PeakRssMib;
        // What a 24 GiB machine (the usual CPU instance for SDXL) has left beside this process.
        result["headroom_24_gib_mib"] = 24 * 1024 - measured.PeakRssMib;
        result["threads"] = measured.Threads;

        var reference = await RunReferenceAsync(models.PathOf(checkpoint), measured.Threads, ct);
        result["reference_environment"] = reference.Missing is null ? "present" : $"{NotPresent} ({reference.Missing})";
        var referenceUnet = reference.Result is { } r ? Stats.Of(r.UnetStepS) : null;
        result["reference_unet_step_s"] = referenceUnet;
        result["ratio_to_reference"] = referenceUnet is null ? null : unet.Median / referenceUnet.Median;
        result["reference_text_encode_s"] = reference.Result is { } t ? Stats.Of(t.TextEncodeS) : null;
        result["reference_load_s"] = reference.Result?.LoadS;
        result["reference_peak_rss_mib"] = reference.Result?.PeakRssMib;
        result["reference_threads"] = reference.Result?.Threads;
        result["reference_torch"] = reference.Result?.Torch;

        var unetConfig = preset switch
        {
            CheckpointPreset sd => sd.Unet,
            SdxlCheckpointPreset xl => xl.Unet,
            _ => throw new ArgumentException($"the diffusion suite runs checkpoint presets, not '{preset.Name}'"),
        };
        var flops = UnetFlops.PerCall(unetConfig, 2, size / 8, size / 8);
        var peak = CpuPeak.Read();
        result["unet_tflop_per_step"] = flops / 1e12;
        result["unet_gflops"] = flops / unet.Median / 1e9;
        result["cpu_peak_fp32_gflops"] = peak.Gflops;
        result["cpu_peak_basis"] = $"{peak.Cores} cores x {peak.Mhz:F0} MHz x {peak.Fp32FlopsPerCycle} FLOP/cycle ({peak.Basis})";
        result["unet_fraction_of_peak"] = peak.Gflops > 0 ? flops / unet.Median / 1e9 / peak.Gflops : null;

        var sdcpp = await RunSdcppAsync(models.PathOf(checkpoint), Path.Combine(work, "sdcpp"), measured.Threads, ct);
        result["sdcpp"] = sdcpp.Missing is null ? "present" : $"not present ({sdcpp.Missing})";
        var sdcppUnet = sdcpp.Result is { } peerResult ? Stats.Of(peerResult.UnetStepS) : null;
        result["sdcpp_unet_step_s"] = sdcppUnet;
        result["ratio_to_sdcpp"] = sdcppUnet is null ? null : unet.Median / sdcppUnet.Median;
        result["sdcpp_unet_gflops"] = sdcppUnet is null ? null : flops / sdcppUnet.Median / 1e9;
        result["sdcpp_vae_decode_s"] = sdcpp.Result?.VaeDecodeS;
        result["sdcpp_sources"] = sdcpp.Result?.Sources;

        var small = models.Checkpoint(CheckpointPreset.Small);
        var workflowFile = Path.Combine(work, "rss-workflow.json");
        Directory.CreateDirectory(work);
        await File.WriteAllTextAsync(workflowFile, BootSuite.DefaultWorkflowJob(context.RepoRoot, small, 64, 2), ct);
        AnsiConsole.MarkupLineInterpolated($"  RSS: {renders} renders of the default graph ({small}, 64x64, 2 steps) in one engine");
        var rss = await RunChildAsync<RssMeasurement>([DiffusionChild.RssCommand, models.Directory, work, workflowFile, Arg(renders)], ct);
        var warmup = Math.Min(RssWarmupRenders, rss.RssMib.Count - 1);
        var warm = rss.RssMib[warmup - 1];
        result["rss_renders"] = rss.RssMib.Count;
        result["rss_warmup_renders"] = warmup;
        result["rss_after_warmup_mib"] = warm;
        result["rss_end_mib"] = rss.RssMib[^1];
        result["rss_growth_mib"] = rss.RssMib[^1] - warm;
        result["rss_max_mib"] = rss.RssMib.Max();
        result["rss_peak_mib"] = rss.PeakRssMib;
        result["rss_render_ms"] = Stats.Of([.. rss.RenderMs.Skip(warmup)]);
        result["rss_samples_mib"] = rss.RssMib.Select(v => Math.Round(v, 1)).ToList();
        // Sampled every 10 renders after a full GC: a leak shows here, uncollected garbage does not.
        result["rss_after_gc_samples_mib"] = rss.RssAfterGcMib.Select(v => Math.Round(v, 1)).ToList();
        result["rss_growth_after_gc_mib"] = rss.RssAfterGcMib.Count > 1 ? rss.RssAfterGcMib[^1] - rss.RssAfterGcMib[0] : null;
        return result;
    }

    private static string Arg(int value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>Runs this bench's hidden child command and returns what its RESULT line says.</summary>
    private async Task<T> RunChildAsync<T>(IReadOnlyList<string> arguments, CancellationToken ct)
    {
        var info = new ProcessStartInfo(context.Dotnet) { RedirectStandardOutput = true, UseShellExecute = false };
        info.ArgumentList.Add(typeof(DiffusionSuite).Assembly.Location);
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        return await RunForResultAsync<T>(info, "C# child", ct);
    }

    /// <summary>
    /// Why the reference cannot load <paramref name="checkpoint"/> here, or null. sdref reads the
    /// whole file, then builds float32 copies of every weight beside it: about three times an fp16
    /// file's size at its peak (21 GB for SDXL base), which would push this machine into the OOM killer.
    /// </summary>
    private static string? ReferenceMemoryShortfall(string checkpoint)
    {
        var needed = new FileInfo(checkpoint).Length * 3;
        var available = MachineInfo.AvailableBytes();
        return available >= needed ? null
            : $"the reference needs about {needed / 1073741824.0:F1} GiB to load this checkpoint, {available / 1073741824.0:F1} GiB are available";
    }

    /// <summary>Where the reference is missing, why; else its measurement.</summary>
    private async Task<(string? Missing, ReferenceMeasurement? Result)> RunReferenceAsync(string checkpoint, int threadCount, CancellationToken ct)
    {
        var sdref = Environment.GetEnvironmentVariable("COMFYSNAP_SDREF") ?? Path.GetFullPath(Path.Combine(context.RepoRoot, "..", "shared", "sdref"));
        var runner = Path.Combine(sdref, "run.sh");
        var chroot = Environment.GetEnvironmentVariable("SDREF_CHROOT") ?? "/var/tmp/sdref/chroot";
        var script = Path.Combine(context.RepoRoot, "bench", "reference", "unet_step.py");
        string? missing = !File.Exists(runner) ? $"no {runner}"
            : !File.Exists(Path.Combine(chroot, "usr", "bin", "python3")) ? $"no chroot at {chroot}"
            : !Environment.IsPrivilegedProcess ? "run.sh needs root"
            : ReferenceMemoryShortfall(checkpoint);
        if (missing is not null)
        {
            AnsiConsole.MarkupLineInterpolated($"  [yellow]{NotPresent}[/] ({missing}): reference keys are null");
            return (missing, null);
        }

        // The chroot sees host folders at the same paths; bind the real ones (no symlinks on the way).
        var realCheckpoint = BenchModels.RealPath(checkpoint);
        var info = new ProcessStartInfo("/bin/bash") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in new[] { runner, BenchModels.RealPath(script), realCheckpoint, "--sdref", BenchModels.RealPath(sdref), "--size", Arg(size), "--runs", Arg(runs), "--threads", Arg(threadCount) })
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["SDREF_BIND"] = $"{Path.GetDirectoryName(realCheckpoint)} {Path.GetDirectoryName(BenchModels.RealPath(script))}";
        info.Environment["OMP_NUM_THREADS"] = Arg(threadCount);
        AnsiConsole.MarkupLineInterpolated($"  reference (PyTorch in {chroot}): same checkpoint, {threadCount} threads");
        return (null, await RunForResultAsync<ReferenceMeasurement>(info, "reference", ct));
    }

    /// <summary>stable-diffusion.cpp on the same checkpoint, size, cfg and threads, or why it is missing.</summary>
    private async Task<(string? Missing, SdcppMeasurement? Result)> RunSdcppAsync(string checkpoint, string output, int threadCount, CancellationToken ct)
    {
        var (peer, missing) = SdcppPeer.Find();
        if (peer is null)
        {
            AnsiConsole.MarkupLineInterpolated($"  [yellow]stable-diffusion.cpp not present[/] ({missing}): sdcpp keys are null");
            return (missing, null);
        }

        peer.Announce(checkpoint, size, threadCount);
        return (null, await peer.RunAsync(BenchModels.RealPath(checkpoint), output, size, runs, threadCount, SdcppCfg, ct));
    }

    private static async Task<T> RunForResultAsync<T>(ProcessStartInfo info, string what, CancellationToken ct)
    {
        using var process = Process.Start(info)!;
        string? result = null;
        while (await process.StandardOutput.ReadLineAsync(ct) is { } line)
        {
            if (line.StartsWith(DiffusionChild.ResultPrefix, StringComparison.Ordinal))
            {
                result = line[DiffusionChild.ResultPrefix.Length..];
            }
            else
            {
                Console.Out.WriteLine(line);
            }
        }

        await process.WaitForExitAsync(ct);
        return process.ExitCode == 0 && result is not null && JsonSerializer.Deserialize<T>(result, DiffusionChild.Json) is { } parsed
            ? parsed
            : throw new InvalidOperationException($"{what} failed (exit code {process.ExitCode}, {(result is null ? "no RESULT line" : "RESULT: " + result)})");
    }
}

/// <summary>What bench/reference/unet_step.py measured (seconds, MiB).</summary>
public sealed record ReferenceMeasurement(int Threads, string Torch, double LoadS, double PeakRssMib, IReadOnlyList<double> TextEncodeS, IReadOnlyList<double> UnetStepS);
