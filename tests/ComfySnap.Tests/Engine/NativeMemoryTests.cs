using System.Diagnostics;
using System.Globalization;
using ComfySnap.Tests.Support;
using Xunit.Abstractions;

namespace ComfySnap.Tests.Engine;

/// <summary>
/// Dispose scopes keep native memory flat: 1,000 uncached runs must not grow RSS. Measured in a
/// worker process of its own (`run-workflow --repeat`), since RSS is process-wide and the test
/// host runs other tests at the same time.
/// </summary>
[Trait("Category", "Integration")]
public sealed class NativeMemoryTests(ITestOutputHelper output)
{
    private const string Workflow = """
        {
          "1": { "class_type": "EmptyImage", "inputs": { "width": 128, "height": 96, "batch_size": 2, "color": 255 } },
          "2": { "class_type": "ImageBlur", "inputs": { "image": ["1", 0], "blur_radius": 2, "sigma": 1.0 } },
          "3": { "class_type": "ImageScale", "inputs": { "image": ["2", 0], "upscale_method": "bilinear", "width": 256, "height": 192, "crop": "disabled" } },
          "4": { "class_type": "ImageInvert", "inputs": { "image": ["3", 0] } },
          "5": { "class_type": "ImageSharpen", "inputs": { "image": ["4", 0], "sharpen_radius": 1, "sigma": 1.0, "alpha": 1.0 } },
          "6": { "class_type": "PreviewImage", "inputs": { "images": ["5", 0] } }
        }
        """;

    [Fact]
    public async Task Thousand_uncached_runs_leave_rss_flat()
    {
        var dir = TestEnvironment.NewTempDirectory("rss");
        var file = Path.Combine(dir, "workflow.json");
        await File.WriteAllTextAsync(file, Workflow);
        var info = new ProcessStartInfo(TestEnvironment.Dotnet) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = dir };
        foreach (var a in new[] { TestEnvironment.ProjectDll("src/Worker", "ComfySnap.Worker"), "run-workflow", file, "--out", Path.Combine(dir, "out"), "--repeat", "1000" })
        {
            info.ArgumentList.Add(a);
        }

        info.Environment["COMFYSNAP_Engine__NodeCacheBytes"] = "0"; // every run allocates and must free all of its tensors
        info.Environment["COMFYSNAP_Serilog__MinimumLevel__Default"] = "Warning";
        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, await stderr);

        var line = stdout.Split('\n').Single(l => l.StartsWith("rss_mib ", StringComparison.Ordinal));
        output.WriteLine(line);
        var values = line.Split(' ').Skip(1).Select(p => p.Split('=')).ToDictionary(p => p[0], p => double.Parse(p[1], CultureInfo.InvariantCulture));
        var growth = values["last"] - values["warm-up"];

        // One leaked 256x192x2 float image per run would be ~390 MiB over 900 runs.
        Assert.True(growth < 40, $"RSS grew by {growth:0.0} MiB over the last 900 of 1,000 runs ({line})");
    }
}
