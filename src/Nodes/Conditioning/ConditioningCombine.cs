using ComfySnap.NodeSdk;
using Cond = ComfySnap.Diffusion.Models.StableDiffusion.Conditioning;

namespace ComfySnap.Nodes.Conditioning;

/// <summary>ComfyUI's "Conditioning (Combine)": both conditionings act together (the sampler averages their predictions).</summary>
public sealed class ConditioningCombine : ComfyNode
{
    public override string ClassType => "ConditioningCombine";

    public override string Category => "conditioning";

    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Link("conditioning_1", ComfyTypes.Conditioning),
        InputSpec.Link("conditioning_2", ComfyTypes.Conditioning),
    ];

    public override IReadOnlyList<string> Outputs { get; } = [ComfyTypes.Conditioning];

    public override ValueTask<NodeResult> ExecuteAsync(NodeInputs inputs, NodeContext context, CancellationToken cancellationToken)
    {
        var first = inputs.Get<Cond>("conditioning_1");
        var second = inputs.Get<Cond>("conditioning_2");
        // The entries' tensors belong to the inputs; the engine aliases what a node passes through.
        return ValueTask.FromResult(NodeResult.Of(new Cond([.. first.Entries, .. second.Entries])));
    }
}
