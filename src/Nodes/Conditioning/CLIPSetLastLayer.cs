using ComfySnap.NodeSdk;
using ComfySnap.Diffusion.Models.StableDiffusion;

namespace ComfySnap.Nodes.Conditioning;

/// <summary>ComfyUI's "CLIP Set Last Layer": encode prompts with an earlier CLIP layer (-1 last, -2 penultimate, ...).</summary>
public sealed class CLIPSetLastLayer : ComfyNode
{
    public override string ClassType => "CLIPSetLastLayer";

    public override string Category => "conditioning";

    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Link("clip", ComfyTypes.Clip),
        InputSpec.Int("stop_at_clip_layer", -1, -24, -1),
    ];

    public override IReadOnlyList<string> Outputs { get; } = [ComfyTypes.Clip];

    public override ValueTask<NodeResult> ExecuteAsync(NodeInputs inputs, NodeContext context, CancellationToken cancellationToken)
    {
        var clip = inputs.Get<IClipModel>("clip");
        return ValueTask.FromResult(NodeResult.Of(clip.WithStopAtLayer((int)inputs.Int("stop_at_clip_layer"))));
    }
}
