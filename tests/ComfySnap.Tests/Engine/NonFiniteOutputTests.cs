using ComfySnap.Contracts;
using ComfySnap.Tests.Engine.Support;
using ComfySnap.Engine.Execution;
using ComfySnap.Engine.Nodes;
using ComfySnap.Worker.Jobs;
using Microsoft.Extensions.DependencyInjection;

namespace ComfySnap.Tests.Engine;

/// <summary>A NaN or Inf in a node's IMAGE, MASK or LATENT fails the run naming the node; nothing is written or cached.</summary>
public sealed class NonFiniteOutputTests
{
    [Theory]
    [InlineData(0, "nan", "IMAGE", false)]
    [InlineData(1, "inf", "MASK", false)]
    [InlineData(2, "-inf", "LATENT", false)]
    [InlineData(0, "nan", "IMAGE", true)]
    public async Task A_non_finite_output_fails_the_run_naming_the_node_and_writes_and_caches_nothing(int output, string value, string type, bool nodeSaves)
    {
        await using var harness = await EngineHarness.StartAsync();
        var node = new NonFiniteOutputsNode();
        harness.Services.GetRequiredService<NodeRegistry>().Register(node, "test");
        var cache = harness.Services.GetRequiredService<NodeOutputCache>();
        Assert.True(cache.Enabled);

        for (var attempt = 1; attempt <= 2; attempt++)
        {
            var error = await Assert.ThrowsAsync<NodeExecutionException>(() => harness.RunAsync(Workflow(output, value, nodeSaves)));

            Assert.Equal(("1", NonFiniteOutputsNode.Name), (error.NodeId, error.ClassType));
            var cause = Assert.IsType<NonFiniteOutputException>(error.InnerException);
            Assert.Equal((output, type, 1L), (cause.OutputIndex, cause.OutputType, cause.NonFinite));
            Assert.Empty(error.CompletedNodes);
            Assert.Empty(Directory.GetFiles(harness.OutputDirectory, "*", SearchOption.AllDirectories));
            Assert.Equal(0, cache.Count);
            Assert.Equal(attempt, node.Runs);
        }
    }

    [Fact]
    public async Task Finite_outputs_are_saved_and_cached_as_before()
    {
        await using var harness = await EngineHarness.StartAsync();
        var node = new NonFiniteOutputsNode();
        harness.Services.GetRequiredService<NodeRegistry>().Register(node, "test");

        var first = await harness.RunAsync(Workflow(0, "finite"));
        var second = await harness.RunAsync(Workflow(0, "finite"));

        Assert.Single(first.Outputs);
        Assert.True(second.Timings.Single(t => t.NodeId == "1").CacheHit);
        Assert.Equal(1, node.Runs);
    }

    [Fact]
    public void The_job_fails_as_NonFiniteOutput_with_a_node_error_for_the_node()
    {
        var job = new RunWorkflow("job-1", "{}", BatchId: "batch-1");
        var error = new NodeExecutionException("7", "VAEDecode", ["4", "3"], new NonFiniteOutputException(0, "IMAGE", 12, 768));

        var failed = JobFailures.FromNodeError(job, error);

        Assert.Equal(FailureKind.NonFiniteOutput, failed.Kind);
        Assert.False(failed.Retryable);
        var nodeError = Assert.Single(failed.NodeErrors);
        Assert.Equal("7", nodeError.Key);
        Assert.Equal("VAEDecode", nodeError.Value.ClassType);
        var detail = Assert.Single(nodeError.Value.Errors);
        Assert.Equal(("non_finite_output", "output 0 (IMAGE) holds 12 NaN or Inf value(s) of 768"), (detail.Type, detail.Message));
        Assert.Equal(["4", "3"], failed.CompletedNodes);
    }

    private static string Workflow(int output, string value, bool save = false) =>
        "{\"1\":{\"class_type\":\"" + NonFiniteOutputsNode.Name + "\",\"inputs\":{\"output\":" + output + ",\"value\":\"" + value + "\",\"save\":" + (save ? "true" : "false") + "}},"
        + "\"2\":{\"class_type\":\"SaveImage\",\"inputs\":{\"images\":[\"1\",0],\"filename_prefix\":\"nan\"}}}";
}
