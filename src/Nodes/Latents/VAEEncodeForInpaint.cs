using ComfySnap.NodeSdk;
using ComfySnap.Diffusion.Models.StableDiffusion;
using ComfySnap.Diffusion.Models.StableDiffusion.Vae;
using static TorchSharp.torch;

namespace ComfySnap.Nodes.Latents;

/// <summary>
/// ComfyUI's "VAE Encode (for Inpainting)": the masked pixels are set to grey before encoding,
/// and the mask, grown by a few pixels so the seam blends in latent space, becomes the noise mask.
/// </summary>
public sealed class VAEEncodeForInpaint : ComfyNode
{
    public override string ClassType => "VAEEncodeForInpaint";

    public override string Category => "latent/inpaint";

    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Link("pixels", ComfyTypes.Image),
        InputSpec.Link("vae", ComfyTypes.Vae),
        InputSpec.Link("mask", ComfyTypes.Mask),
        InputSpec.Int("grow_mask_by", 6, 0, 64),
    ];

    public override IReadOnlyList<string> Outputs { get; } = [ComfyTypes.Latent];

    public override ValueTask<NodeResult> ExecuteAsync(NodeInputs inputs, NodeContext context, CancellationToken cancellationToken)
    {
        var vae = inputs.Get<AutoencoderKl>("vae");
        var pixels = inputs.Tensor("pixels");
        var mask = inputs.Tensor("mask");
        var grow = inputs.Int("grow_mask_by");
        var ratio = vae.Config.DownscaleRatio;
        var (height, width) = (pixels.shape[1], pixels.shape[2]);
        var resized = nn.functional.interpolate(mask.reshape(-1, 1, mask.shape[^2], mask.shape[^1]).to_type(ScalarType.Float32), size: [height, width], mode: InterpolationMode.Bilinear);
        var (keptH, keptW) = (height / ratio * ratio, width / ratio * ratio);
        var (offH, offW) = (height % ratio / 2, width % ratio / 2);
        var cropped = pixels.narrow(1, offH, keptH).narrow(2, offW, keptW).to_type(ScalarType.Float32);
        resized = resized.narrow(2, offH, keptH).narrow(3, offW, keptW);

        var rounded = resized.round();
        var grown = grow == 0
            ? resized
            : nn.functional.conv2d(rounded, ones(1, 1, grow, grow), padding: [grow / 2, grow / 2]).clamp_(0, 1);
        // Masked pixels become 0.5 grey: (p - 0.5) * (1 - mask) + 0.5.
        var keep = (1.0 - rounded).permute(0, 2, 3, 1);
        var grey = cropped.narrow(3, 0, 3).sub(0.5).mul_(keep).add_(0.5);
        var latent = VaeImages.Encode(vae, grey, cancellationToken);
        var noiseMask = grown.narrow(2, 0, keptH).narrow(3, 0, keptW).round();
        return ValueTask.FromResult(NodeResult.Of(new Latent(latent, noiseMask)));
    }
}
