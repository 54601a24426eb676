using ComfySnap.NodeSdk;
using ComfySnap.Diffusion.Models.StableDiffusion;
using ComfySnap.Diffusion.Models.StableDiffusion.Vae;

namespace ComfySnap.Nodes.Latents;

/// <summary>ComfyUI's "VAE Encode": IMAGE to LATENT (img2img starts here).</summary>
public sealed class VAEEncode : ComfyNode
{
    public override string ClassType => "VAEEncode";

    public override string Category => "latent";

    public override IReadOnlyList<InputSpec> Inputs { get; } = [InputSpec.Link("pixels", ComfyTypes.Image), InputSpec.Link("vae", ComfyTypes.Vae)];

    public override IReadOnlyList<string> Outputs { get; } = [ComfyTypes.Latent];

    public override ValueTask<NodeResult> ExecuteAsync(NodeInputs inputs, NodeContext context, CancellationToken cancellationToken) =>
        ValueTask.FromResult(NodeResult.Of(new Latent(VaeImages.Encode(inputs.Get<AutoencoderKl>("vae"), inputs.Tensor("pixels"), cancellationToken))));
}
