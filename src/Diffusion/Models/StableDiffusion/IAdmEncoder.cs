using static TorchSharp.torch;

namespace ComfySnap.Diffusion.Models.StableDiffusion;

/// <summary>
/// A model's "adm" input (comfy/model_base.py encode_adm): the vector y its UNet adds, through
/// label_emb, to the time embedding, computed per conditioning entry when sampling starts.
/// </summary>
public interface IAdmEncoder
{
    /// <summary>Width of the vector (the UNet's label_emb input).</summary>
    long Width { get; }

    /// <summary>y [1, <see cref="Width"/>] for <paramref name="entry"/>, sampled on a latent of <paramref name="latentShape"/> [B,C,h,w]; <paramref name="negative"/> for the negative prompt's entries.</summary>
    Tensor Encode(ConditioningEntry entry, long[] latentShape, bool negative);
}
