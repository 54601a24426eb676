using ComfySnap.NodeSdk;
using ComfySnap.Diffusion.Models.StableDiffusion;
using ComfySnap.Diffusion.Models.StableDiffusion.Lora;

namespace ComfySnap.Nodes.Loaders;

/// <summary>ComfyUI's "LoraLoaderModelOnly": patches only the MODEL with a LoRA file; its text-encoder keys are not loaded.</summary>
public sealed class LoraLoaderModelOnly : ComfyNode
{
    public override string ClassType => "LoraLoaderModelOnly";

    public override string Category => "loaders";

    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Link("model", ComfyTypes.Model),
        InputSpec.ModelFile("lora_name", LoraLoader.ModelKind),
        InputSpec.Float("strength_model", 1.0, -100.0, 100.0),
    ];

    public override IReadOnlyList<string> Outputs { get; } = [ComfyTypes.Model];

    public override async ValueTask<NodeResult> ExecuteAsync(NodeInputs inputs, NodeContext context, CancellationToken cancellationToken)
    {
        var model = inputs.Get<DiffusionModel>("model");
        var strength = inputs.Float("strength_model");
        if (strength == 0)
        {
            return NodeResult.Of(model);
        }

        var lora = await context.Models.LoadAsync<LoraFile>(LoraLoader.ModelKind, inputs.String("lora_name"), cancellationToken);
        var (patched, _) = LoraApplication.ApplyToAny(lora, model, null, strength, 0, context.Logger);
        return NodeResult.Of(patched);
    }
}
