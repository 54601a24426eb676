using ComfySnap.Tests.Engine.Support;
using ComfySnap.Engine.Nodes;
using Microsoft.Extensions.DependencyInjection;
using static TorchSharp.torch;

namespace ComfySnap.Tests.Engine;

/// <summary>
/// The engine runs each node in a dispose scope and no_grad, both bound to the thread that opens
/// them. A node that awaits must not leave them open on that thread: whatever the thread ran next
/// would land in the scope and be freed when the node finished on another thread.
/// </summary>
public sealed class NodeScopeTests
{
    private const string Workflow = "{\"1\":{\"class_type\":\"" + AwaitingImageNode.Name + "\",\"inputs\":{}},\"2\":{\"class_type\":\"PreviewImage\",\"inputs\":{\"images\":[\"1\",0]}}}";

    [Fact]
    public async Task A_node_that_awaits_leaves_no_scope_or_no_grad_behind_and_keeps_what_it_made_before()
    {
        await using var harness = await EngineHarness.StartAsync();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        harness.Services.GetRequiredService<NodeRegistry>().Register(new AwaitingImageNode(release.Task), "test");

        // Runs synchronously on this thread up to the node's await.
        var run = harness.RunAsync(Workflow);
        Assert.False(run.IsCompleted);
        var gradEnabledMeanwhile = is_grad_enabled();
        using var bystander = ones(3);
        release.SetResult();
        var result = await run;

        Assert.False(bystander.IsInvalid, "a tensor made by the starting thread while the node awaited was freed with the node's scope");
        Assert.True(gradEnabledMeanwhile, "the node's no_grad stayed on the thread that started it");
        Assert.Single(result.Outputs);
    }
}
