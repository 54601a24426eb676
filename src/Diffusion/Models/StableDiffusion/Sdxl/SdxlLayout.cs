using static ComfySnap.Diffusion.Models.StableDiffusion.CheckpointLayout;

namespace ComfySnap.Diffusion.Models.StableDiffusion.Sdxl;

/// <summary>Which model family a single-file checkpoint holds, told by its key layout.</summary>
public enum CheckpointFamily
{
    Sd1,
    SdxlBase,
    SdxlRefiner,
}

/// <summary>
/// The single-file SDXL key layouts (Stability's sgm): the UNet under
/// <c>model.diffusion_model.</c> with a label embedding (the adm input), the VAE under
/// <c>first_stage_model.</c>, and the text encoders as sgm's conditioner embedders. Base:
/// CLIP-L (transformers layout) as embedder 0, OpenCLIP bigG as embedder 1. Refiner: OpenCLIP bigG
/// alone, as embedder 0.
/// </summary>
public static class SdxlLayout
{
    public const string ClipLPrefix = "conditioner.embedders.0.transformer.text_model.";
    public const string ClipGPrefix = "conditioner.embedders.1.model.";
    public const string RefinerClipGPrefix = "conditioner.embedders.0.model.";
    public const string LabelEmbeddingKey = UnetPrefix + "label_emb.0.0.weight";

    /// <summary>Size of each Timestep embedding in the adm vector (model_base.py: Timestep(256)).</summary>
    public const int AdmEmbedDim = 256;

    /// <summary>
    /// The family of a checkpoint with these keys. ComfyUI matches the UNet's shapes against the
    /// real models' configs; here any size is accepted and the layout decides.
    /// </summary>
    public static CheckpointFamily Detect(IEnumerable<string> keys)
    {
        var all = keys as IReadOnlyCollection<string> ?? [.. keys];
        bool Has(string prefix) => all.Any(k => k.StartsWith(prefix, StringComparison.Ordinal));
        var adm = all.Contains(LabelEmbeddingKey);
        if (adm && (all.Contains("v_pred") || all.Any(k => k.StartsWith("edm_", StringComparison.Ordinal))))
        {
            throw new InvalidDataException("v-prediction and EDM SDXL checkpoints are not supported (EPS only)");
        }

        if (adm && Has(ClipLPrefix) && Has(ClipGPrefix))
        {
            return CheckpointFamily.SdxlBase;
        }

        if (adm && Has(RefinerClipGPrefix))
        {
            return CheckpointFamily.SdxlRefiner;
        }

        if (adm)
        {
            throw new InvalidDataException("the UNet has an adm input (label_emb) but the text encoders are neither SDXL base's (CLIP-L + OpenCLIP-G) nor the refiner's (OpenCLIP-G)");
        }

        return CheckpointFamily.Sd1;
    }

    /// <summary>Keys real files carry that no model uses (ComfyUI ignores them too).</summary>
    public static bool IsUnusedKey(string key) =>
        key.EndsWith("position_ids", StringComparison.Ordinal) || key.EndsWith(".logit_scale", StringComparison.Ordinal);
}
