using ComfySnap.Diffusion.Models;
using ComfySnap.NodeSdk;
using ComfySnap.Diffusion.Models.StableDiffusion;
using ComfySnap.Diffusion.Models.StableDiffusion.Lora;

namespace ComfySnap.Nodes.Loaders;

/// <summary>
/// ComfyUI's "Load LoRA": patches MODEL and CLIP with a LoRA file at their own strengths. The
/// outputs own only the patched weights; all others stay the checkpoint's shared tensors.
/// </summary>
public sealed class LoraLoader : ComfyNode
{
    public const string ModelKind = ModelKinds.Loras;

    public override string ClassType => "LoraLoader";

    public override string Category => "loaders";

    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Link("model", ComfyTypes.Model),
        InputSpec.Link("clip", ComfyTypes.Clip),
        InputSpec.ModelFile("lora_name", ModelKind),
        InputSpec.Float("strength_model", 1.0, -100.0, 100.0),
        InputSpec.Float("strength_clip", 1.0, -100.0, 100.0),
    ];

    public override IReadOnlyList<string> Outputs { get; } = [ComfyTypes.Model, ComfyTypes.Clip];

    public override async ValueTask<NodeResult> ExecuteAsync(NodeInputs inputs, NodeContext context, CancellationToken cancellationToken)
    {
        var model = inputs.Get<DiffusionModel>("model");
        var clip = inputs.Get<IClipModel>("clip");
        var (strengthModel, strengthClip) = (inputs.Float("strength_model"), inputs.Float("strength_clip"));
        if (strengthModel == 0 && strengthClip == 0)
        {
            return NodeResult.Of(model, clip);
        }

        var lora = await context.Models.LoadAsync<LoraFile>(ModelKind, inputs.String("lora_name"), cancellationToken);
        var (patchedModel, patchedClip) = LoraApplication.ApplyToAny(lora, model, clip, strengthModel, strengthClip, context.Logger);
        return NodeResult.Of(patchedModel, patchedClip);
    }
}
