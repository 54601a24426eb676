using ComfySnap.NodeSdk;

namespace ComfySnap.Nodes.Latents;

/// <summary>ComfyUI's "Set Latent Noise Mask": the sampler only changes the latent where the mask is 1.</summary>
public sealed class SetLatentNoiseMask : ComfyNode
{
    public override string ClassType => "SetLatentNoiseMask";

    public override string Category => "latent/inpaint";

    public override IReadOnlyList<InputSpec> Inputs { get; } = [InputSpec.Link("samples", ComfyTypes.Latent), InputSpec.Link("mask", ComfyTypes.Mask)];

    public override IReadOnlyList<string> Outputs { get; } = [ComfyTypes.Latent];

    public override ValueTask<NodeResult> ExecuteAsync(NodeInputs inputs, NodeContext context, CancellationToken cancellationToken)
    {
        var latent = inputs.Get<Latent>("samples");
        var mask = inputs.Tensor("mask");
        var noiseMask = mask.reshape(-1, 1, mask.shape[^2], mask.shape[^1]);
        return ValueTask.FromResult(NodeResult.Of(latent with { NoiseMask = noiseMask }));
    }
}
