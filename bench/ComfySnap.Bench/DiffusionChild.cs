using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using ComfySnap.Engine;
using ComfySnap.Diffusion.Models;
using ComfySnap.Diffusion.Models.StableDiffusion;
using ComfySnap.Diffusion.Sampling;
using ComfySnap.Diffusion.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using TorchSharp;
using static TorchSharp.torch;

namespace ComfySnap.Bench;

/// <summary>What the C# side of the diffusion suite measured, in its own process (seconds, MiB).</summary>
public sealed record DiffusionMeasurement(
    int Threads, double LoadS, double RssAfterLoadMib, double PeakRssMib,
    IReadOnlyList<double> TextEncodeS, IReadOnlyList<double> UnetStepS, IReadOnlyList<double> VaeDecodeS,
    Bf16Measurement Bf16);

/// <summary>
/// The same UNet step with Models:UnetDtype=bf16, timed interleaved with the fp32 one in the same
/// process, and how far its image is from fp32's: one Euler step from sigma_max (cfg 8), decoded by
/// the same fp32 VAE, compared on 0..255.
/// </summary>
public sealed record Bf16Measurement(double LoadS, IReadOnlyList<double> UnetStepS, double ImageMaxAbs, double ImageMeanAbs);

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
    /// positive prompt; a VAE decode of one latent; one UNet forward of batch 2 (uncond + cond, as
    /// KSampler's cfg batch) on a <paramref name="size"/>/8 latent with 77-token contexts, with the
    /// fp32 UNet and, interleaved with it, the same checkpoint loaded with Models:UnetDtype=bf16 (each
    /// after one untimed step at this size). The peak RSS is taken before the bf16 model loads.
    /// </summary>
    public static async Task<int> UnetAsync(string modelsDirectory, string workDirectory, string checkpoint, int size, int runs, int threads, CancellationToken ct)
    {
        using var host = await EngineHost.StartAsync(workDirectory, ct, Settings(modelsDirectory, threads));
        var watch = Stopwatch.StartNew();
        var loaded = await host.Services.GetRequiredService<ModelStore>().LoadAsync<ILoadedCheckpoint>(BenchModels.Kind, checkpoint, ct);
        var loadS = watch.Elapsed.TotalSeconds;
        var rssAfterLoad = ProcStatusMib("VmRSS");
        Progress($"loaded {checkpoint} in {loadS:F1} s ({torch.get_num_threads()} torch threads, RSS {rssAfterLoad:F0} MiB); warm-up render ...");
        loaded.WarmUp([WarmupSize.Minimal], ct);

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
        var latent = randn(latentShape, generator: generator);
        var vae = Time(runs, $"VAE decode {size}x{size}", () => VaeImages.Decode(loaded.Vae, latent, ct).Dispose());
        // One untimed step at this size first (oneDNN primitives for these shapes), and the peak
        // RSS of the fp32 work before the bf16 model joins this process.
        Time(1, $"UNet step {size}x{size} fp32 warm-up", () => loaded.Model.Unet.Forward(x, timesteps, context, y).Dispose());
        var peakRss = ProcStatusMib("VmHWM");

        var bf16Watch = Stopwatch.StartNew();
        using var bf16 = await LoadBf16Async(host, checkpoint, ct);
        var bf16LoadS = bf16Watch.Elapsed.TotalSeconds;
        Progress($"loaded {checkpoint} with a bf16 UNet in {bf16LoadS:F1} s");
        Time(1, $"UNet step {size}x{size} bf16 warm-up", () => bf16.Model.Unet.Forward(x, timesteps, context, y).Dispose());
        // Interleaved, so a machine whose load changes during the run slows both alike.
        var (unet, bf16Unet) = TimeInterleaved(runs, $"UNet step {size}x{size} (batch 2)",
            () => loaded.Model.Unet.Forward(x, timesteps, context, y).Dispose(),
            () => bf16.Model.Unet.Forward(x, timesteps, context, y).Dispose());
        var (maxAbs, meanAbs) = Bf16ImageDifference(loaded, bf16, x, context, y, ct);
        Progress($"bf16 image vs fp32: max |diff| {maxAbs:F0}, mean {meanAbs:F2} on 0..255");

        WriteResult(new DiffusionMeasurement(torch.get_num_threads(), loadS, rssAfterLoad, peakRss, text, unet, vae,
            new Bf16Measurement(bf16LoadS, bf16Unet, maxAbs, meanAbs)));
        return 0;
    }

    /// <summary>The checkpoint loaded again by the worker's loader with Models:UnetDtype=bf16 (its own bf16 side file; text encoder and VAE as with fp32).</summary>
    private static async Task<ILoadedCheckpoint> LoadBf16Async(EngineHost host, string checkpoint, CancellationToken ct)
    {
        var store = host.Services.GetRequiredService<ModelStore>();
        var path = store.TryResolve(BenchModels.Kind, checkpoint) ?? throw new FileNotFoundException($"no checkpoint {checkpoint}");
        var options = host.Services.GetRequiredService<IOptions<ModelStoreOptions>>().Value;
        var bf16Options = new ModelStoreOptions { BaseDirectory = options.BaseDirectory, ConvertedDirectory = options.ConvertedDirectory, UnetDtype = UnetDtype.Bf16 };
        var loader = new CheckpointFileLoader(Options.Create(bf16Options), host.Services.GetRequiredService<ClipTokenizerProvider>(), NullLogger<CheckpointFileLoader>.Instance);
        return (ILoadedCheckpoint)await loader.LoadAsync(path, ct);
    }

    /// <summary>One Euler step from sigma_max with cfg 8 (the denoised latent) by each model, decoded by fp32's VAE; max and mean |diff| of the 0..255 images.</summary>
    private static (double Max, double Mean) Bf16ImageDifference(ILoadedCheckpoint fp32, ILoadedCheckpoint bf16, Tensor noise, Tensor context, Tensor? y, CancellationToken ct)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var sampling = fp32.Model.Sampling;
        var sigma = full([2], sampling.SigmaMax, ScalarType.Float32);
        var noisy = noise.mul(sampling.SigmaMax);
        var input = ModelSamplingDiscrete.CalculateInput(sigma, noisy);
        var timesteps = sampling.Timestep(sigma);
        Tensor Image(ILoadedCheckpoint model)
        {
            var eps = model.Model.Unet.Forward(input, timesteps, context, y);
            var uncond = eps.narrow(0, 0, 1);
            var guided = uncond.add(eps.narrow(0, 1, 1).sub(uncond).mul(8.0));
            var denoised = ModelSamplingDiscrete.CalculateDenoised(sigma.narrow(0, 0, 1), guided, noisy.narrow(0, 1, 1));
            return VaeImages.Decode(fp32.Vae, model.Model.LatentFormat.ProcessOut(denoised), ct).mul(255.0).round();
        }

        var difference = Image(fp32).sub(Image(bf16)).abs();
        return (difference.max().item<float>(), difference.mean().item<float>());
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

    /// <summary>Times <paramref name="first"/> then <paramref name="second"/>, <paramref name="runs"/> times.</summary>
    private static (List<double> First, List<double> Second) TimeInterleaved(int runs, string what, Action first, Action second)
    {
        var a = new List<double>();
        var b = new List<double>();
        for (var i = 0; i < runs; i++)
        {
            a.AddRange(Time(1, $"{what} fp32", first));
            b.AddRange(Time(1, $"{what} bf16", second));
        }

        return (a, b);
    }

    private static void Progress(string line) => Console.Error.WriteLine("    " + line);

    private static void WriteResult<T>(T result)
    {
        Console.Out.WriteLine(ResultPrefix + JsonSerializer.Serialize(result, Json));
        Console.Out.Flush();
    }
}
