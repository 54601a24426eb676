using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Spectre.Console;

namespace ComfySnap.Bench;

/// <summary>What stable-diffusion.cpp's sd-cli reported for one render: seconds per sampling step (the first dropped) and VAE decode.</summary>
public sealed record SdcppMeasurement(string Binary, string? Sources, IReadOnlyList<double> UnetStepS, double? VaeDecodeS, double WallS);

/// <summary>
/// stable-diffusion.cpp (ggml on the CPU), the usual alternative to PyTorch for Stable Diffusion on
/// CPUs, run on the same checkpoint, size, cfg and thread count as the C# side: one render of
/// runs + 1 euler steps, whose per-step times come from sd-cli's progress line (the first step's
/// time is not measured by sd-cli, so it is dropped). An optional developer tool, built outside the repo; never in CI.
/// </summary>
public sealed partial class SdcppPeer(string binary)
{
    /// <summary>Where the bench looks when SDCPP_BIN is not set.</summary>
    public const string DefaultBinary = "/var/tmp/sdcpp/bin/sd-cli";

    /// <summary>The sd-cli to run (SDCPP_BIN, else build.sh's default place), or why there is none.</summary>
    public static (SdcppPeer? Peer, string? Missing) Find()
    {
        var configured = Environment.GetEnvironmentVariable("SDCPP_BIN");
        var path = string.IsNullOrEmpty(configured) ? DefaultBinary : configured;
        return File.Exists(path)
            ? (new SdcppPeer(path), null)
            : (null, $"no sd-cli at {path} (build stable-diffusion.cpp's sd-cli target with CMake, -DGGML_NATIVE=ON, and set SDCPP_BIN to it)");
    }

    public async Task<SdcppMeasurement> RunAsync(string checkpoint, string outputDirectory, int size, int runs, int threads, double cfg, CancellationToken ct)
    {
        Directory.CreateDirectory(outputDirectory);
        var info = new ProcessStartInfo(binary) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[]
        {
            "-m", checkpoint, "-p", "a photograph of an astronaut riding a horse", "-W", Arg(size), "-H", Arg(size),
            "--steps", Arg(runs + 1), "--cfg-scale", cfg.ToString(CultureInfo.InvariantCulture), "-t", Arg(threads),
            "--seed", "0", "--sampling-method", "euler", "-o", Path.Combine(outputDirectory, "sdcpp.png"),
        })
        {
            info.ArgumentList.Add(argument);
        }

        var wall = Stopwatch.StartNew();
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {binary}");
        var output = new StringBuilder();
        var stdout = CopyAsync(process.StandardOutput, output, ct);
        var stderr = CopyAsync(process.StandardError, output, ct);
        await Task.WhenAll(stdout, stderr);
        await process.WaitForExitAsync(ct);
        wall.Stop();
        var text = output.ToString();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"sd-cli failed (exit code {process.ExitCode}): {Tail(text)}");
        }

        var steps = ParseStepSeconds(text, runs + 1);
        if (steps.Count == 0)
        {
            throw new InvalidOperationException($"sd-cli printed no per-step times: {Tail(text)}");
        }

        var sources = Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(binary)!)!, "SOURCES.txt");
        return new SdcppMeasurement(binary, File.Exists(sources) ? (await File.ReadAllTextAsync(sources, ct)).Trim() : null,
            steps, ParseTaking(text, "decode_first_stage"), wall.Elapsed.TotalSeconds);
    }

    /// <summary>
    /// Seconds of steps 2..N from sd-cli's progress line ("|===| k/N - 35.12s/it", or "it/s" under a
    /// second); each is the time since the previous step's report.
    /// </summary>
    public static IReadOnlyList<double> ParseStepSeconds(string output, int steps)
    {
        var byStep = new SortedDictionary<int, double>();
        foreach (Match m in ProgressPattern().Matches(output))
        {
            var step = int.Parse(m.Groups["step"].Value, CultureInfo.InvariantCulture);
            if (int.Parse(m.Groups["total"].Value, CultureInfo.InvariantCulture) != steps || step < 2)
            {
                continue;
            }

            var value = double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture);
            byStep[step] = m.Groups["unit"].Value == "it/s" ? 1 / value : value;
        }

        return [.. byStep.Values];
    }

    /// <summary>"NAME completed, taking 12.34s" as seconds, or null.</summary>
    public static double? ParseTaking(string output, string name)
    {
        var m = Regex.Match(output, Regex.Escape(name) + @" completed, taking (?<s>[0-9.]+)s");
        return m.Success ? double.Parse(m.Groups["s"].Value, CultureInfo.InvariantCulture) : null;
    }

    [GeneratedRegex(@"(?<step>\d+)/(?<total>\d+) - (?<value>[0-9.]+)(?<unit>s/it|it/s)")]
    private static partial Regex ProgressPattern();

    private static async Task CopyAsync(StreamReader reader, StringBuilder into, CancellationToken ct)
    {
        var buffer = new char[4096];
        int read;
        while ((read = await reader.ReadAsync(buffer, ct)) > 0)
        {
            lock (into)
            {
                into.Append(buffer, 0, read);
            }
        }
    }

    private static string Tail(string text) => text.Length <= 600 ? text : text[^600..];

    private static string Arg(int value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>Prints what the peer is, before it runs.</summary>
    public void Announce(string checkpoint, int size, int threads) =>
        AnsiConsole.MarkupLineInterpolated($"  stable-diffusion.cpp ({binary}): {checkpoint}, {size}x{size}, {threads} threads");
}
