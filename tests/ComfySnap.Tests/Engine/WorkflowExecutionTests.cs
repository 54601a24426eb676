using System.Security.Cryptography;
using ComfySnap.Tests.Engine.Support;
using ComfySnap.Tests.Upscale.Support;
using ComfySnap.Engine.Execution;
using SkiaSharp;

namespace ComfySnap.Tests.Engine;

/// <summary>Runs the shipped workflows on the real engine and checks outputs, cache and cancellation.</summary>
public sealed class WorkflowExecutionTests
{
    [Fact]
    public async Task Image_ops_writes_pngs_of_the_right_size_with_checksums_stable_across_engines()
    {
        string[] first, second;
        await using (var a = await EngineHarness.StartAsync())
        {
            first = Checksums(await a.RunAsync(EngineHarness.Workflow("image-ops.json")));
        }

        await using (var b = await EngineHarness.StartAsync())
        {
            var result = await b.RunAsync(EngineHarness.Workflow("image-ops.json"));
            second = Checksums(result);
            Assert.Equal(2, result.Outputs.Count);
            foreach (var output in result.Outputs)
            {
                using var bitmap = SKBitmap.Decode(output.Artifact.Path);
                Assert.Equal((512, 384), (bitmap.Width, bitmap.Height));
                Assert.True(File.Exists(output.Artifact.Path));
            }
        }

        Assert.Equal(first, second);
    }

    [Fact]
    public async Task Repeated_run_reuses_node_outputs_and_a_changed_input_reruns_only_downstream()
    {
        await using var harness = await EngineHarness.StartAsync();
        var json = EngineHarness.Workflow("image-ops.json");

        var cold = await harness.RunAsync(json);
        var warm = await harness.RunAsync(json);
        var changed = await harness.RunAsync(json.Replace("\"width\": 512", "\"width\": 320"));

        Assert.All(cold.Timings, t => Assert.False(t.CacheHit));
        Assert.Equal(["1", "2", "3", "4"], warm.Timings.Where(t => t.CacheHit).Select(t => t.NodeId));
        Assert.False(warm.Timings.Single(t => t.NodeId == "5").CacheHit); // SaveImage is not idempotent
        Assert.Equal(["1", "2"], changed.Timings.Where(t => t.CacheHit).Select(t => t.NodeId));
        Assert.Equal(Checksums(cold), Checksums(warm));
    }

    [Fact]
    public async Task Progress_is_reported_per_node_in_dependency_order()
    {
        await using var harness = await EngineHarness.StartAsync();
        var seen = new List<ExecutionProgress>();

        await harness.RunAsync(EngineHarness.Workflow("image-ops.json"), progress: seen.Add);

        Assert.Equal(["1", "2", "3", "4", "5"], seen.Select(p => p.NodeId).Distinct());
        Assert.All(seen, p => Assert.Equal(5, p.NodeCount));
    }

    [Fact]
    public async Task Cancelled_run_stops_and_says_which_nodes_completed()
    {
        await using var harness = await EngineHarness.StartAsync();
        using var cts = new CancellationTokenSource();

        var error = await Assert.ThrowsAsync<WorkflowCancelledException>(() =>
            harness.RunAsync(EngineHarness.Workflow("image-ops.json"), p =>
            {
                if (p.NodeId == "3")
                {
                    cts.Cancel();
                }
            }, cts.Token));

        Assert.Contains("1", error.CompletedNodes);
        Assert.DoesNotContain("5", error.CompletedNodes);
        Assert.Empty(Directory.GetFiles(harness.OutputDirectory));
    }

    [Fact]
    public async Task Upscale_workflow_runs_a_pth_model_and_quadruples_the_size()
    {
        await using var harness = await EngineHarness.StartAsync(root =>
        {
            var weights = RrdbStateDicts.Random(numFeat: 8, numBlock: 1, numGrow: 4, scale: 4, seed: 7);
            CheckpointFiles.WritePth(Path.Combine(root, "models/upscale_models"), "RealESRGAN_x4plus.pth", weights, "params_ema");
            RrdbStateDicts.Dispose(weights);
            using var bitmap = new SKBitmap(24, 16);
            bitmap.Erase(new SKColor(200, 100, 50));
            using var png = bitmap.Encode(SKEncodedImageFormat.Png, 100);
            File.WriteAllBytes(Path.Combine(root, "input/example.png"), png.ToArray());
        });

        var first = await harness.RunAsync(EngineHarness.Workflow("upscale.json"));
        var again = await harness.RunAsync(EngineHarness.Workflow("upscale.json"));

        var output = Assert.Single(first.Outputs);
        using var result = SKBitmap.Decode(output.Artifact.Path);
        Assert.Equal((96, 64), (result.Width, result.Height));
        Assert.Equal(Checksums(first), Checksums(again));
    }

    private static string[] Checksums(ExecutionResult result) =>
        [.. result.Outputs.Select(o => Convert.ToHexString(SHA256.HashData(o.Artifact.Bytes.Span)))];
}
