using ComfySnap.Diffusion.Models;
using ComfySnap.NodeSdk;
using ComfySnap.Diffusion.Models.StableDiffusion;
using ComfySnap.Diffusion.Models.StableDiffusion.Vae;

namespace ComfySnap.Nodes.Loaders;

/// <summary>ComfyUI's "Load VAE": a standalone SD 1.x VAE file (keys encoder.*, decoder.*, quant_conv, post_quant_conv).</summary>
public sealed class VAELoader : ComfyNode
{
    public const string ModelKind = ModelKinds.Vae;

    public override string ClassType => "VAELoader";

    public override string Category => "loaders";

    public override IReadOnlyList<InputSpec> Inputs { get; } = [InputSpec.ModelFile("vae_name", ModelKind)];

    public override IReadOnlyList<string> Outputs { get; } = [ComfyTypes.Vae];

    public override async ValueTask<NodeResult> ExecuteAsync(NodeInputs inputs, NodeContext context, CancellationToken cancellationToken)
    {
        var vae = await context.Models.LoadAsync<VaeFile>(ModelKind, inputs.String("vae_name"), cancellationToken);
        return NodeResult.Of(vae.Model);
    }
}
