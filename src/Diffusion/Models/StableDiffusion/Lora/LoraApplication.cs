using System.Globalization;
using Microsoft.Extensions.Logging;
using static ComfySnap.Diffusion.Models.StableDiffusion.CheckpointLayout;

namespace ComfySnap.Diffusion.Models.StableDiffusion.Lora;

/// <summary>
/// ComfyUI's load_lora_for_models: reads a LoRA against the MODEL and/or CLIP given, then patches
/// each at its strength. Keys matching no weight are logged ("lora key not loaded") and ignored;
/// a file none of whose keys matches is an error naming it. A part whose strength is 0, or that
/// the file does not touch, comes back as it was (no copy).
/// </summary>
public static class LoraApplication
{
    /// <summary>How many unloaded keys a warning lists (a LoRA for another architecture has thousands).</summary>
    private const int ListedKeys = 20;

    public static (DiffusionModel? Model, ClipEncoder? Clip) Apply(LoraFile lora, DiffusionModel? model, ClipEncoder? clip, double strengthModel, double strengthClip, ILogger logger)
    {
        var (patchedModel, patchedClip) = ApplyToAny(lora, model, clip, strengthModel, strengthClip, logger);
        return (patchedModel, (ClipEncoder?)patchedClip);
    }

    /// <summary>The same for a CLIP of any family: SD 1.x, or SDXL's (CLIP-L and/or OpenCLIP-G).</summary>
    public static (DiffusionModel? Model, IClipModel? Clip) ApplyToAny(LoraFile lora, DiffusionModel? model, IClipModel? clip, double strengthModel, double strengthClip, ILogger logger)
    {
        var clipTarget = clip is null ? null : ClipLoraTarget.Of(clip);
        var keyMap = new Dictionary<string, string>(StringComparer.Ordinal);
        if (model is not null)
        {
            keyMap = LoraKeyMap.ForUnet(model.Weights.Checkpoint.Keys, model.Unet.Config);
        }

        if (clipTarget is not null)
        {
            foreach (var (name, key) in clipTarget.KeyMap)
            {
                keyMap[name] = key;
            }
        }

        // MODEL and CLIP may come from different checkpoints: each key's shape from its own.
        long[] ShapeOf(string target)
        {
            var parsed = LoraTarget.Parse(target);
            var weights = parsed.Key.StartsWith(UnetPrefix, StringComparison.Ordinal) ? model!.Weights : clipTarget!.Weights;
            return parsed.ShapeIn(weights.Checkpoint[parsed.Key].shape);
        }

        var match = LoraMatch.Read(lora, keyMap, ShapeOf);
        Report(lora, match, logger);
        if (match.Adapters.Count == 0)
        {
            var target = (model, clip) switch { (not null, not null) => "this MODEL or CLIP", (not null, null) => "this MODEL", _ => "this CLIP" };
            throw new InvalidDataException($"LoRA '{lora.Name}': none of its {lora.Tensors.Count} keys patches a weight of {target} (is it a LoRA for another model family?)");
        }

        var unet = Part(match, UnetPrefix);
        var text = clipTarget is null ? [] : match.Adapters.Where(kv => !kv.Key.StartsWith(UnetPrefix, StringComparison.Ordinal)).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        logger.LogInformation("LoRA {Lora}: {Unet} UNet weights at strength {StrengthModel}, {Clip} CLIP weights at strength {StrengthClip}",
            lora.Name, model is null ? 0 : unet.Count, strengthModel, text.Count, strengthClip);

        var patchedModel = model is null || strengthModel == 0 || unet.Count == 0
            ? model
            : model.Over(model.Weights.With(unet, strengthModel, storedAsHalf: false), $"{model.Description} + {lora.Name}:{strengthModel.ToString(CultureInfo.InvariantCulture)}");
        // ComfyUI keeps CLIP weights in float16 on CPU, so its patched copies are rounded to float16 too.
        var patchedClip = clipTarget is null || strengthClip == 0 || text.Count == 0
            ? clip
            : clipTarget.Over(clipTarget.Weights.With(text, strengthClip, storedAsHalf: true));
        return (patchedModel, patchedClip);
    }

    private static Dictionary<string, LoraAdapter> Part(LoraMatch match, string prefix) =>
        match.Adapters.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal)).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);

    private static void Report(LoraFile lora, LoraMatch match, ILogger logger)
    {
        if (match.NotLoaded.Count > 0)
        {
            logger.LogWarning("LoRA {Lora}: {Count} lora keys not loaded (they match no weight): {Keys}",
                lora.Name, match.NotLoaded.Count, Listed(match.NotLoaded));
        }

        if (match.Misfits.Count > 0)
        {
            logger.LogWarning("LoRA {Lora}: {Count} weights not patched, the LoRA's shapes do not fit them: {Keys}",
                lora.Name, match.Misfits.Count, Listed(match.Misfits));
        }
    }

    private static string Listed(IReadOnlyList<string> keys) =>
        string.Join(", ", keys.Take(ListedKeys)) + (keys.Count > ListedKeys ? $" and {keys.Count - ListedKeys} more" : "");
}
