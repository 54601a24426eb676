using System.Text.Json.Nodes;
using ComfySnap.Tests.Diffusion.Support;
using ComfySnap.Tests.Engine.Support;
using ComfySnap.Engine.Execution;

namespace ComfySnap.Tests.Diffusion;

/// <summary>The KSampler as a job sees it: validation of its choices, progress per step, cancellation between steps.</summary>
public sealed class SamplingNodeTests(SdEngineFixture sd) : IClassFixture<SdEngineFixture>
{
    [Theory]
    [InlineData("sampler_name", "dpmpp_3m_sde")] // ComfyUI has it; ComfySnap does not implement it
    [InlineData("scheduler", "beta")]
    [InlineData("sampler_name", "no-such-sampler")]
    public void Unimplemented_sampler_or_scheduler_is_refused_at_validation(string input, string value)
    {
        var graph = DefaultGraph(steps: 2);
        graph["3"]!["inputs"]![input] = value;

        var report = sd.Engine.Validate(graph.ToJsonString(), out _);

        Assert.False(report.IsValid);
        var error = Assert.Single(report.NodeErrors["3"].Errors);
        Assert.Equal("value_not_in_list", error.Type);
        Assert.Equal(input, error.InputName);
        Assert.Contains($"'{value}'", error.Details, StringComparison.Ordinal);
    }

    [Fact]
    public async Task KSampler_reports_every_step_of_every_sampler_pass()
    {
        var steps = new List<(int Step, int Total)>();
        await sd.Engine.RunAsync(DefaultGraph(steps: 5).ToJsonString(), p =>
        {
            if (p.ClassType == "KSampler")
            {
                lock (steps)
                {
                    steps.Add((p.Step, p.Total));
                }
            }
        });

        // The executor adds (0,1) at the start of every node and (1,1) at its end.
        Assert.True(steps.Where(s => s.Total != 1).SequenceEqual([(1, 5), (2, 5), (3, 5), (4, 5), (5, 5)]), string.Join(" ", steps));
    }

    [Fact]
    public async Task Cancellation_stops_the_sampler_between_steps()
    {
        using var cancel = new CancellationTokenSource();
        var seen = 0;
        var run = sd.Engine.RunAsync(DefaultGraph(steps: 200).ToJsonString(), p =>
        {
            if (p.ClassType == "KSampler" && Interlocked.Increment(ref seen) == 3)
            {
                cancel.Cancel();
            }
        }, cancel.Token);

        var error = await Assert.ThrowsAsync<WorkflowCancelledException>(() => run);
        Assert.InRange(Volatile.Read(ref seen), 3, 4);
        Assert.Contains("4", error.CompletedNodes); // the checkpoint loader finished before
    }

    [Fact]
    public void Missing_checkpoint_is_refused_at_validation_naming_the_file()
    {
        var graph = DefaultGraph(steps: 2);
        graph["4"]!["inputs"]!["ckpt_name"] = "nope.safetensors";

        var report = sd.Engine.Validate(graph.ToJsonString(), out _);

        Assert.False(report.IsValid);
        Assert.Contains("nope.safetensors", report.Describe(), StringComparison.Ordinal);
    }

    /// <summary>ComfyUI's default graph on the tiny checkpoint at 64x64.</summary>
    private static JsonNode DefaultGraph(int steps)
    {
        var graph = JsonNode.Parse(EngineHarness.Workflow("default-txt2img.json"))!;
        graph["4"]!["inputs"]!["ckpt_name"] = TinyCheckpointFixture.FileName;
        graph["5"]!["inputs"]!["width"] = 64;
        graph["5"]!["inputs"]!["height"] = 64;
        graph["3"]!["inputs"]!["steps"] = steps;
        return graph;
    }
}
