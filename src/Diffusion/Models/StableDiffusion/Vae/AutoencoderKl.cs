using ComfySnap.Diffusion.Models.StableDiffusion.Layers;
using static TorchSharp.torch;

namespace ComfySnap.Diffusion.Models.StableDiffusion.Vae;

/// <summary>
/// The KL autoencoder (keys under <c>first_stage_model.</c>): pixels in -1..1 to latents and back.
/// Encoding takes the mean of the latent distribution (its mode), as ComfyUI does; the 0.18215
/// latent scale is the sampler's business, not the VAE's.
/// </summary>
public sealed class AutoencoderKl
{
    private readonly VaeEncoder _encoder;
    private readonly VaeDecoder _decoder;
    private readonly Conv2d _quant;
    private readonly Conv2d _postQuant;

    public AutoencoderKl(WeightScope w, VaeConfig config)
    {
        Config = config;
        _encoder = new VaeEncoder(w["encoder"], config);
        _decoder = new VaeDecoder(w["decoder"], config);
        _quant = new Conv2d(w["quant_conv"], 2 * config.ZChannels, 2 * config.EmbedDim, 1);
        _postQuant = new Conv2d(w["post_quant_conv"], config.EmbedDim, config.ZChannels, 1);
    }

    public VaeConfig Config { get; }

    /// <summary>[B,3,H,W] in -1..1 to latents [B,embed,H/r,W/r].</summary>
    public Tensor Encode(Tensor pixels)
    {
        using var scope = NewDisposeScope();
        var moments = _quant.Forward(_encoder.Forward(pixels));
        return moments.narrow(1, 0, Config.EmbedDim).contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>Latents [B,embed,h,w] to pixels [B,3,h*r,w*r], unclamped (about -1..1).</summary>
    public Tensor Decode(Tensor latents)
    {
        using var scope = NewDisposeScope();
        return _decoder.Forward(_postQuant.Forward(latents)).MoveToOuterDisposeScope();
    }
}
