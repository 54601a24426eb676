namespace ComfySnap.NodeSdk;

/// <summary>
/// ComfyUI's type names. Tensor layouts follow ComfyUI: IMAGE is [B,H,W,C] float32 in 0..1,
/// MASK is [B,H,W], LATENT is a <see cref="Latent"/> holding [B,4,H/8,W/8].
/// </summary>
public static class ComfyTypes
{
    public const string Image = "IMAGE";
    public const string Latent = "LATENT";
    public const string Mask = "MASK";
    public const string Model = "MODEL";
    public const string Clip = "CLIP";
    public const string Vae = "VAE";
    public const string Conditioning = "CONDITIONING";
    public const string UpscaleModel = "UPSCALE_MODEL";
    public const string ControlNet = "CONTROL_NET";
    public const string Int = "INT";
    public const string Float = "FLOAT";
    public const string String = "STRING";
    public const string Boolean = "BOOLEAN";

    /// <summary>A literal chosen from a list (ComfyUI's COMBO).</summary>
    public const string Combo = "COMBO";

    /// <summary>True for the types a workflow may give as a literal instead of a link.</summary>
    public static bool IsLiteral(string type) => type is Int or Float or String or Boolean or Combo;
}
