using ComfySnap.Diffusion.Models.StableDiffusion.Unet;
using static TorchSharp.torch;

namespace ComfySnap.Diffusion.Models.StableDiffusion.Sdxl;

/// <summary>
/// SDXL base's adm vector (comfy/model_base.py SDXL.encode_adm): the pooled CLIP-G vector, then
/// Timestep(256) embeddings (cos half, then sin half) of height, width, crop_h, crop_w,
/// target_height, target_width. Width and height default to the latent's size in pixels
/// (samplers.py encode_model_conds), crops to 0, targets to width and height.
/// </summary>
public sealed class SdxlBaseAdm(long pooledWidth) : IAdmEncoder
{
    public long Width => pooledWidth + 6 * SdxlLayout.AdmEmbedDim;

    public Tensor Encode(ConditioningEntry entry, long[] latentShape, bool negative)
    {
        var pooled = SdxlAdmValues.PooledOf(entry);
        var (width, height) = SdxlAdmValues.Size(pooled, latentShape);
        return SdxlAdmValues.Concat(pooled.Output, [height, width, pooled.CropH, pooled.CropW, pooled.TargetHeight ?? height, pooled.TargetWidth ?? width]);
    }
}

/// <summary>
/// SDXL refiner's adm vector (comfy/model_base.py SDXLRefiner.encode_adm): the pooled vector, then
/// Timestep(256) embeddings of height, width, crop_h, crop_w and the aesthetic score, which
/// defaults to 6 for positive entries and 2.5 for negative ones (prompt_type "negative").
/// </summary>
public sealed class SdxlRefinerAdm(long pooledWidth) : IAdmEncoder
{
    public const double PositiveAestheticScore = 6.0;
    public const double NegativeAestheticScore = 2.5;

    public long Width => pooledWidth + 5 * SdxlLayout.AdmEmbedDim;

    public Tensor Encode(ConditioningEntry entry, long[] latentShape, bool negative)
    {
        var pooled = SdxlAdmValues.PooledOf(entry);
        var (width, height) = SdxlAdmValues.Size(pooled, latentShape);
        var score = pooled.AestheticScore ?? (negative ? NegativeAestheticScore : PositiveAestheticScore);
        return SdxlAdmValues.Concat(pooled.Output, [height, width, pooled.CropH, pooled.CropW, score]);
    }
}

/// <summary>What both adm encoders share.</summary>
internal static class SdxlAdmValues
{
    public static PooledConditioning PooledOf(ConditioningEntry entry) =>
        entry.Pooled ?? throw new InvalidOperationException("an SDXL model needs conditioning from an SDXL CLIP (no pooled output: is this conditioning from an SD 1.x CLIP?)");

    /// <summary>The entry's width and height, else the latent's in pixels (x8).</summary>
    public static (double Width, double Height) Size(PooledConditioning pooled, long[] latentShape) =>
        (pooled.Width ?? latentShape[3] * 8, pooled.Height ?? latentShape[2] * 8);

    /// <summary>[pooled, e(v0), e(v1), ...] with each value embedded as torch.Tensor([v]) (float32), repeated to the pooled batch.</summary>
    public static Tensor Concat(Tensor pooled, double[] values)
    {
        using var scope = NewDisposeScope();
        var embedded = TimestepEmbedding.Sinusoidal(tensor(values.Select(v => (float)v).ToArray()), SdxlLayout.AdmEmbedDim);
        var flat = embedded.flatten().unsqueeze(0).repeat(pooled.shape[0], 1);
        return cat([pooled.to_type(ScalarType.Float32), flat], 1).MoveToOuterDisposeScope();
    }
}
