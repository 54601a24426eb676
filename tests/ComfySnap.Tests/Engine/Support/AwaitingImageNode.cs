using ComfySnap.NodeSdk;
using static TorchSharp.torch;

namespace ComfySnap.Tests.Engine.Support;

/// <summary>
/// A test node that makes a tensor, awaits <paramref name="release"/> (so the rest runs on another
/// thread, as after file or model-store I/O), then returns a 2x2 IMAGE of that tensor's value.
/// </summary>
public sealed class AwaitingImageNode(Task release) : ComfyNode
{
    public const string Name = "TestAwaitingImage";

    public override string ClassType => Name;

    public override string Category => "testing";

    public override IReadOnlyList<InputSpec> Inputs { get; } = [];

    public override IReadOnlyList<string> Outputs { get; } = [ComfyTypes.Image];

    public override bool IsIdempotent => false;

    public override async ValueTask<NodeResult> ExecuteAsync(NodeInputs inputs, NodeContext context, CancellationToken cancellationToken)
    {
        var before = full(1, 0.5f);
        await release.WaitAsync(cancellationToken).ConfigureAwait(false);
        using var scope = NewDisposeScope();
        return NodeResult.Of(before.expand(1, 2, 2, 3).contiguous().MoveToOuterDisposeScope());
    }
}
