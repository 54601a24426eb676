using ComfySnap.Diffusion.Models.StableDiffusion.Layers;

namespace ComfySnap.Diffusion.Models.StableDiffusion.Generation;

/// <summary>An architecture <see cref="RandomCheckpoint"/> can write: its tensors and the head counts shapes cannot carry.</summary>
public interface IRandomCheckpointPreset
{
    string Name { get; }

    /// <summary>fp32 for the small presets (so CLIP's fp16 rounding is exercised), fp16 for the full-size ones.</summary>
    string DefaultDType { get; }

    /// <summary>Every tensor the models ask for, sorted by key (the order the generator draws them in).</summary>
    IReadOnlyList<WeightRequest> Layout();

    /// <summary>The arch sections ({"unet": {...}, "clip": {...}} or "clip_l"/"clip_g"), keys sorted.</summary>
    SortedDictionary<string, object> ArchSections();
}
