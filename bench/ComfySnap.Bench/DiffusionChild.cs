using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using ComfySnap.Engine;
using ComfySnap.Diffusion.Models;
using ComfySnap.Diffusion.Models.StableDiffusion;
using Microsoft.Extensions.DependencyInjection;
using TorchSharp;
using static TorchSharp.torch;

namespace ComfySnap.Bench;

/// <summary>What the C# side of the diffusion suite measured, in its own process (seconds, MiB).</summary>
public sealed record DiffusionMeasurement(
    int Threads, double LoadS, double RssAfterLoadMib, double PeakRssMib,
    IReadOnlyList<double> TextEncodeS, IReadOnlyList<double> UnetStepS, IReadOnlyList<double> VaeDecodeS);

/// <summary>What the RSS part measured: RSS after each render and each render's time.</summary>
public sealed record RssMeasurement(IReadOnlyList<double> RssMib, IReadOnlyList<double> RenderMs, double PeakRssMib, IReadOnlyList<double> RssAfterGcMib);

/// <summary>
/// The child processes of the `diffusion` suite (hidden bench commands), so that the RSS measured
/// is that of a process doing only this work. Each boots a worker host without a bus, loads
/// through the worker's model store, prints progress on stderr and one line "RESULT {json}".
/// </summary>
public static class DiffusionChild
{
    public const string UnetCommand = "child-diffusion";
    public const string RssCommand = "child-rss";
    public const string ResultPrefix = "RESULT ";

    /// <summary>The RESULT lines' JSON: snake_case keys, as the reference script writes them.</summary>
    public static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, PropertyNameCaseInsensitive = true };

    // The default workflow's prompts.
    public const string Positive = "masterpiece best quality girl";
    public const string Negative = "bad hands";

    /// <summary>
    /// Loads <paramref name="checkpoint"/> (mapped, paged in) and runs the worker's boot warm-up
    /// (a one-step 64x64 render), then times, <paramref name="runs"/> times each: encoding the
    /// positive prompt; one UNet forward of batch 2 (uncond + cond, as KSampler's cfg batch) on a
    /// <paramref name="size"/>/8 latent with 77-token contexts; a VAE decode of one latent.
    /// </summary>
    public static async Task<int> UnetAsync(string modelsDirectory, string workDirectory, string checkpoint, int size, int runs, int threads, CancellationToken ct)
    {
        using var host = await EngineHost.StartAsync(workDirectory, ct, Settings(modelsDirectory, threads));
        var watch = Stopwatch.StartNew();
        var loaded = await host.Services.GetRequiredService<ModelStore>().LoadAsync<ILoadedCheckpoint>(BenchModels.Kind, checkpoint, ct);
        var loadS = watch.Elapsed.TotalSeconds;
        var rssAfterLoad = ProcStatusMib("VmRSS");
        Progress($"loaded {checkpoint} in {loadS:F1} s ({torch.get_num_threads()} torch threads, RSS {rssAfterLoad:F0} MiB); warm-up render ...");
        loaded.WarmUp(ct);

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var text = Time(runs, "text encode", () => loaded.TextEncoder.EncodePrompt(Positive).Context.Dispose());
        // KSampler's cfg batch: [negative, positive] contexts, the same latent twice, one timestep
        // each, and for SDXL the adm vectors (sizes from the latent, as plain CLIPTextEncode gives).
        var latentSide = size / 8;
        var negative = loaded.TextEncoder.EncodePrompt(Negative);
        var positive = loaded.TextEncoder.EncodePrompt(Positive);
        var context = cat([negative.Context, positive.Context], 0);
        long[] latentShape = [1, 4, latentSide, latentSide];
        var y = loaded.Model.Adm is { } adm
            ? cat([adm.Encode(negative, latentShape, negative: true), adm.Encode(positive, latentShape, negative: false)], 0)
            : null;
        using var generator = new Generator(0);
        var x = randn([2, 4, latentSide, latentSide], generator: generator);
        var timesteps = tensor(new[] { 999f, 999f });
        var unet = Time(runs, $"UNet step {size}x{size} (batch 2)", () => loaded.Model.Unet.Forward(x, timesteps, context, y).Dispose());
        var latent = randn(latentShape, generator: generator);
        var vae = Time(runs, $"VAE decode {size}x{size}", () => VaeImages.Decode(loaded.Vae, latent, ct).Dispose());

        WriteResult(new DiffusionMeasurement(torch.get_num_threads(), loadS, rssAfterLoad, ProcStatusMib("VmHWM"), text, unet, vae));
        return 0;
    }

    /// <summary>Runs <paramref name="workflowFile"/> <paramref name="renders"/> times in one engine (node cache off) and samples RSS after each.</summary>
    public static async Task<int> RssAsync(string modelsDirectory, string workDirectory, string workflowFile, int renders, CancellationToken ct)
    {
        using var host = await EngineHost.StartAsync(workDirectory, ct, Settings(modelsDirectory, 0));
        var engine = host.Engine;
        var report = engine.Validate(await File.ReadAllTextAsync(workflowFile, ct), out var workflow);
        if (workflow is null)
        {
            throw new InvalidOperationException(report.Describe());
        }

        var rss = new List<double>();
        var afterGc = new List<double>();
        var ms = new List<double>();
        for (var i = 0; i < renders; i++)
        {
            var watch = Stopwatch.StartNew();
            var result = await engine.RunAsync(workflow, null, ct);
            ms.Add(watch.Elapsed.TotalMilliseconds);
            foreach (var output in result.Outputs.Where(o => o.Artifact.Path is not null))
            {
                File.Delete(output.Artifact.Path!);
            }

            rss.Add(ProcStatusMib("VmRSS"));
            if ((i + 1) % 10 == 0 || i + 1 == renders)
            {
                // Every 10th render: RSS again after a full collection, which separates a leak
                // from managed garbage the GC has not collected yet (without it RSS climbs
                // ~0.5 MiB per render here until a gen2 collection happens).
                var heap = GC.GetTotalMemory(false) / 1048576.0;
                var live = GC.GetTotalMemory(true) / 1048576.0;
                afterGc.Add(ProcStatusMib("VmRSS"));
                Progress($"render {i + 1}/{renders}: {ms[^1]:F0} ms, RSS {rss[^1]:F1} MiB ({afterGc[^1]:F1} after a full GC), managed heap {heap:F1} MiB ({live:F1} live)");
            }
        }

        WriteResult(new RssMeasurement(rss, ms, ProcStatusMib("VmHWM"), afterGc));
        return 0;
    }

    /// <summary>A line of /proc/self/status ("VmRSS", "VmHWM") in MiB.</summary>
    public static double ProcStatusMib(string field)
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith(field + ":", StringComparison.Ordinal));
        // The value follows a tab: "VmRSS:\t    1936 kB", or "VmHWM:\t15000000 kB" once it has 8 digits.
        return long.Parse(line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
    }

    private static Dictionary<string, string?> Settings(string modelsDirectory, int threads)
    {
        var settings = new Dictionary<string, string?> { ["Models:BaseDirectory"] = modelsDirectory };
        if (threads > 0)
        {
            settings["Engine:TorchThreads"] = threads.ToString(CultureInfo.InvariantCulture);
        }

        return settings;
    }

    private static List<double> Time(int runs, string what, Action action)
    {
        var seconds = new List<double>();
        for (var i = 0; i < runs; i++)
        {
            var watch = Stopwatch.StartNew();
            using (NewDisposeScope())
            {
                action();
            }

            seconds.Add(watch.Elapsed.TotalSeconds);
            Progress($"{what} run {i + 1}: {seconds[^1]:F2} s");
        }

        return seconds;
    }

    private static void Progress(string line) => Console.Error.WriteLine("    " + line);

    private static void WriteResult<T>(T result)
    {
        Console.Out.WriteLine(ResultPrefix + JsonSerializer.Serialize(result, Json));
        Console.Out.Flush();
    }
}
