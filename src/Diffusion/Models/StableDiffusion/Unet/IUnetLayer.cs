using static TorchSharp.torch;

namespace ComfySnap.Diffusion.Models.StableDiffusion.Unet;

/// <summary>One layer of a UNet block: a res block, a spatial transformer or a resampler.</summary>
public interface IUnetLayer
{
    /// <summary>Runs the layer on <paramref name="h"/> with the time embedding and text context; <paramref name="upsampleTo"/> is the [H, W] an upsampler must produce (the next skip connection's size), else null.</summary>
    Tensor Forward(Tensor h, Tensor emb, Tensor context, long[]? upsampleTo);
}
