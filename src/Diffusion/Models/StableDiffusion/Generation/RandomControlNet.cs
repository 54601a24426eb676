using System.Text.Json;
using ComfySnap.Diffusion.Models.StableDiffusion.ControlNet;
using ComfySnap.Diffusion.Models.StableDiffusion.Layers;

namespace ComfySnap.Diffusion.Models.StableDiffusion.Generation;

/// <summary>
/// Writes a random-weight ControlNet in lllyasviel's layout (control_model.*), deterministically
/// from a seed, with <see cref="RandomCheckpoint"/>'s rules. The zero convolutions, zero in a real
/// ControlNet before training, are drawn like any convolution: a ControlNet that adds nothing
/// could not show that it is applied.
/// </summary>
public static class RandomControlNet
{
    public static IReadOnlyList<WeightRequest> Layout(ControlNetPreset preset)
    {
        using var recorder = new ShapeRecorder();
        _ = new ControlNetModel(recorder.Root(ControlNetLayout.OriginalPrefix), preset.Config);
        return [.. recorder.Requests.OrderBy(r => r.Key, StringComparer.Ordinal)];
    }

    public static GeneratedCheckpoint Write(ControlNetPreset preset, string path, string? dtype = null, long seed = 0, bool sideFile = false)
    {
        dtype ??= preset.DefaultDType;
        var metadata = new Dictionary<string, string> { [ArchOverrides.MetadataKey] = MetadataJson(preset, dtype, seed) };
        return RandomCheckpoint.WriteLayout(Layout(preset), preset.Name, path, dtype, seed, metadata, sideFile ? ArchJson(preset) : null);
    }

    /// <summary>The UNet head count shapes cannot carry, in the side-file format.</summary>
    public static string ArchJson(ControlNetPreset preset) => $"{{\"unet\": {{\"num_heads\": {preset.Config.Unet.NumHeads}}}}}";

    private static string MetadataJson(ControlNetPreset preset, string dtype, long seed) => JsonSerializer.Serialize(new SortedDictionary<string, object>(StringComparer.Ordinal)
    {
        ["generator"] = new { dtype, preset = preset.Name, seed },
        ["unet"] = new { num_heads = preset.Config.Unet.NumHeads },
    });
}
