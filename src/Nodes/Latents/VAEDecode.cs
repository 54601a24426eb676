using ComfySnap.NodeSdk;
using ComfySnap.Diffusion.Models.StableDiffusion;
using ComfySnap.Diffusion.Models.StableDiffusion.Vae;

namespace ComfySnap.Nodes.Latents;

/// <summary>ComfyUI's "VAE Decode": LATENT to IMAGE.</summary>
public sealed class VAEDecode : ComfyNode
{
    public override string ClassType => "VAEDecode";

    public override string Category => "latent";

    public override IReadOnlyList<InputSpec> Inputs { get; } = [InputSpec.Link("samples", ComfyTypes.Latent), InputSpec.Link("vae", ComfyTypes.Vae)];

    public override IReadOnlyList<string> Outputs { get; } = [ComfyTypes.Image];

    public override ValueTask<NodeResult> ExecuteAsync(NodeInputs inputs, NodeContext context, CancellationToken cancellationToken) =>
        ValueTask.FromResult(NodeResult.Of(VaeImages.Decode(inputs.Get<AutoencoderKl>("vae"), inputs.Get<Latent>("samples").Samples, cancellationToken)));
}
