using System.Diagnostics;
using ComfySnap.Tests.Engine.Support;
using Xunit.Abstractions;

namespace ComfySnap.Tests.Engine;

/// <summary>Dispose scopes keep native memory flat: 1,000 runs must not grow the process's RSS.</summary>
[Collection(RssCollection.Name)]
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
        // Node cache off: every run allocates and must free all of its tensors.
        await using var harness = await EngineHarness.StartAsync(settings: new Dictionary<string, string?> { ["Engine:NodeCacheBytes"] = "0" });
        var report = harness.Validate(Workflow, out var workflow);
        Assert.True(report.IsValid, report.Describe());

        for (var i = 0; i < 100; i++)
        {
            await harness.Engine.RunAsync(workflow!, null, CancellationToken.None); // warm-up: allocator pools settle
        }

        var before = Rss();
        for (var i = 0; i < 1000; i++)
        {
            await harness.Engine.RunAsync(workflow!, null, CancellationToken.None);
            if (i % 200 == 0)
            {
                foreach (var f in Directory.GetFiles(harness.OutputDirectory, "*", SearchOption.AllDirectories))
                {
                    File.Delete(f);
                }
            }
        }

        var growth = Rss() - before;
        output.WriteLine($"RSS before {before / 1048576} MiB, after 1,000 runs {(before + growth) / 1048576} MiB, growth {growth / 1048576.0:0.0} MiB");

        // One leaked 256x192x2 float image per run would be ~390 MB over 1,000 runs.
        Assert.True(growth < 40 * 1024 * 1024, $"RSS grew by {growth / 1024 / 1024} MB over 1,000 runs");
    }

    private static long Rss()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        return process.WorkingSet64;
    }
}

/// <summary>RSS is process-wide: this test runs alone, after the parallel ones, so others' allocations do not count.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RssCollection
{
    public const string Name = "rss-alone";
}
