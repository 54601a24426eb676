using TorchSharp;

namespace ComfySnap.Diffusion.Models.StableDiffusion;

/// <summary>
/// What SDXL text encoders add to a conditioning entry: CLIP-G's pooled vector [1, width] and the
/// size values its adm vector is made of (ComfyUI's "pooled_output", "width", "height", "crop_w",
/// "crop_h", "target_width", "target_height", "aesthetic_score"). Null sizes take their defaults
/// when sampling starts (the latent's size in pixels; target = size; ascore 6, or 2.5 for a negative).
/// </summary>
public sealed record PooledConditioning(torch.Tensor Output)
{
    public long? Width { get; init; }

    public long? Height { get; init; }

    public long CropW { get; init; }

    public long CropH { get; init; }

    public long? TargetWidth { get; init; }

    public long? TargetHeight { get; init; }

    public double? AestheticScore { get; init; }
}
