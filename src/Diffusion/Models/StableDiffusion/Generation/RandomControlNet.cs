using ComfySnap.Diffusion.Models.StableDiffusion.ControlNet;
using ComfySnap.Diffusion.Models.StableDiffusion.Layers;

namespace ComfySnap.Diffusion.Models.StableDiffusion.Generation;

/// <summary>
/// Random-weight ControlNets in lllyasviel's layout (control_model.*) or diffusers' (the preset
/// says), written by <see cref="RandomCheckpoint"/> with its rules, deterministically from a seed. The zero
/// convolutions, zero in a real ControlNet before training, are drawn like any convolution: a
/// ControlNet that adds nothing could not show that it is applied.
/// </summary>
public static class RandomControlNet
{
    public static IReadOnlyList<WeightRequest> Layout(ControlNetPreset preset)
    {
        using var recorder = new ShapeRecorder();
        var diffusers = preset.KeyLayout == ControlNetKeyLayout.Diffusers;
        var prefix = preset.KeyLayout == ControlNetKeyLayout.OriginalPrefixed ? ControlNetLayout.OriginalPrefix : "";
        _ = new ControlNetModel(recorder.Root(prefix), preset.Config);
        var requests = recorder.Requests;
        if (diffusers)
        {
            var inputBlocks = requests.Count(r => r.Key.StartsWith("zero_convs.", StringComparison.Ordinal) && r.Key.EndsWith(".weight", StringComparison.Ordinal));
            var hintBlocks = (requests.Count(r => r.Key.StartsWith("input_hint_block.", StringComparison.Ordinal)) / 2) - 2;
            var rename = ControlNetDiffusersNames.ToDiffusers(preset.Config, inputBlocks, hintBlocks);
            requests = [.. requests.Select(r => r with { Key = rename(r.Key) })];
        }

        return [.. requests.OrderBy(r => r.Key, StringComparer.Ordinal)];
    }

    public static GeneratedCheckpoint Write(ControlNetPreset preset, string path, string? dtype = null, long seed = 0, bool sideFile = false) =>
        RandomCheckpoint.Write(preset, path, dtype, seed, sideFile);
}
