using ComfySnap.NodeSdk;
using ComfySnap.Diffusion.Models.StableDiffusion;
using ComfySnap.Diffusion.Models.StableDiffusion.Sdxl;
using Cond = ComfySnap.Diffusion.Models.StableDiffusion.Conditioning;

namespace ComfySnap.Nodes.Conditioning;

/// <summary>
/// ComfyUI's "CLIPTextEncodeSDXLRefiner" (comfy_extras/nodes_clip_sdxl.py): the prompt with the
/// aesthetic score and size the refiner's adm vector is made of (a base model ignores the score).
/// </summary>
public sealed class CLIPTextEncodeSDXLRefiner : ComfyNode
{
    public override string ClassType => "CLIPTextEncodeSDXLRefiner";

    public override string Category => "advanced/conditioning";

    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Link("clip", ComfyTypes.Clip),
        InputSpec.Float("ascore", 6.0, 0.0, 1000.0),
        InputSpec.Int("width", 1024, 0, CLIPTextEncodeSDXL.MaxResolution),
        InputSpec.Int("height", 1024, 0, CLIPTextEncodeSDXL.MaxResolution),
        InputSpec.String("text"),
    ];

    public override IReadOnlyList<string> Outputs { get; } = [ComfyTypes.Conditioning];

    public override ValueTask<NodeResult> ExecuteAsync(NodeInputs inputs, NodeContext context, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var clip = SdxlClipInput.Of(inputs, ClassType);
        var entry = SdxlTextEncoding.EncodePrompt(clip, inputs.String("text"));
        var pooled = entry.Pooled! with
        {
            AestheticScore = inputs.Float("ascore"),
            Width = inputs.Int("width"),
            Height = inputs.Int("height"),
        };
        return ValueTask.FromResult(NodeResult.Of(new Cond([entry with { Pooled = pooled }])));
    }
}
