using ComfySnap.Diffusion.Models;
using ComfySnap.NodeSdk;
using ComfySnap.Diffusion.Models.StableDiffusion;

namespace ComfySnap.Nodes.Loaders;

/// <summary>ComfyUI's "Load Checkpoint": a single-file SD 1.x, SDXL base or SDXL refiner checkpoint as MODEL, CLIP and VAE, loaded once and shared.</summary>
public sealed class CheckpointLoaderSimple : ComfyNode
{
    public const string ModelKind = ModelKinds.Checkpoints;

    public override string ClassType => "CheckpointLoaderSimple";

    public override string Category => "loaders";

    public override IReadOnlyList<InputSpec> Inputs { get; } = [InputSpec.ModelFile("ckpt_name", ModelKind)];

    public override IReadOnlyList<string> Outputs { get; } = [ComfyTypes.Model, ComfyTypes.Clip, ComfyTypes.Vae];

    public override async ValueTask<NodeResult> ExecuteAsync(NodeInputs inputs, NodeContext context, CancellationToken cancellationToken)
    {
        var checkpoint = await context.Models.LoadAsync<ILoadedCheckpoint>(ModelKind, inputs.String("ckpt_name"), cancellationToken);
        return NodeResult.Of(checkpoint.Model, checkpoint.TextEncoder, checkpoint.Vae);
    }
}
