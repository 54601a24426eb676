using System.Text.RegularExpressions;
using ComfySnap.Diffusion.Models.StableDiffusion.Unet;
using static ComfySnap.Diffusion.Models.StableDiffusion.CheckpointLayout;

namespace ComfySnap.Diffusion.Models.StableDiffusion.Lora;

/// <summary>
/// The names LoRA files give a model's weights, mapped to the weights' checkpoint keys (ComfyUI's
/// model_lora_keys_unet and model_lora_keys_clip for SD 1.x). Only weights the model has appear.
/// </summary>
public static partial class LoraKeyMap
{
    private const string WeightSuffix = ".weight";

    /// <summary>The CLIP layers LoRAs train (ComfyUI's LORA_CLIP_MAP): original name -> kohya name.</summary>
    private static readonly (string Layer, string Kohya)[] ClipLayers =
    [
        ("mlp.fc1", "mlp_fc1"), ("mlp.fc2", "mlp_fc2"), ("self_attn.k_proj", "self_attn_k_proj"),
        ("self_attn.q_proj", "self_attn_q_proj"), ("self_attn.v_proj", "self_attn_v_proj"), ("self_attn.out_proj", "self_attn_out_proj"),
    ];

    /// <summary>
    /// UNet names: kohya over the original layout ("lora_unet_input_blocks_1_1_proj_in") and over
    /// diffusers names ("lora_unet_down_blocks_0_attentions_0_proj_in", also "lycoris_..."),
    /// the generic "diffusion_model.input_blocks.1.1.proj_in", and diffusers' dotted names, bare or
    /// under "unet.", with attention projections as ".processor.to_q" (ComfyUI's) or ".to_q" (PEFT).
    /// </summary>
    public static Dictionary<string, string> ForUnet(IEnumerable<string> checkpointKeys, UnetConfig config)
    {
        var weights = checkpointKeys.Where(k => k.StartsWith(UnetPrefix, StringComparison.Ordinal) && k.EndsWith(WeightSuffix, StringComparison.Ordinal)).ToHashSet(StringComparer.Ordinal);
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var key in weights.Order(StringComparer.Ordinal))
        {
            var name = key[UnetPrefix.Length..^WeightSuffix.Length];
            map["lora_unet_" + Underscored(name)] = key;
            map["diffusion_model." + name] = key;
        }

        foreach (var (diffusers, original) in UnetDiffusersNames.For(config))
        {
            var key = UnetPrefix + original + WeightSuffix;
            if (!weights.Contains(key))
            {
                continue;
            }

            map["lora_unet_" + Underscored(diffusers)] = key;
            map["lycoris_" + Underscored(diffusers)] = key;
            var processor = diffusers.Replace(".to_", ".processor.to_", StringComparison.Ordinal);
            if (processor.EndsWith(".to_out.0", StringComparison.Ordinal))
            {
                processor = processor[..^2];
            }

            foreach (var prefix in (string[])["", "unet."])
            {
                map[prefix + processor] = key;
            }

            // PEFT-era diffusers files name the module itself ("unet.X.attn1.to_q.lora_A.weight").
            map["unet." + diffusers] = key;
        }

        return map;
    }

    /// <summary>
    /// CLIP names: kohya ("lora_te_text_model_encoder_layers_0_self_attn_q_proj", also "lora_te1_"),
    /// diffusers ("text_encoder.text_model.encoder.layers.0.self_attn.q_proj") and ComfyUI's
    /// generic "text_encoders.clip_l.transformer.text_model.*".
    /// </summary>
    public static Dictionary<string, string> ForClip(IEnumerable<string> checkpointKeys)
    {
        var weights = checkpointKeys.Where(k => k.StartsWith(ClipPrefix, StringComparison.Ordinal) && k.EndsWith(WeightSuffix, StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var key in weights)
        {
            map["text_encoders.clip_l.transformer.text_model." + key[ClipPrefix.Length..^WeightSuffix.Length]] = key;
            if (EncoderLayer().Match(key[ClipPrefix.Length..]) is not { Success: true } m)
            {
                continue;
            }

            var (layer, module) = (m.Groups["layer"].Value, m.Groups["module"].Value);
            if (ClipLayers.FirstOrDefault(c => c.Layer == module) is { Kohya: not null } known)
            {
                map[$"lora_te_text_model_encoder_layers_{layer}_{known.Kohya}"] = key;
                map[$"lora_te1_text_model_encoder_layers_{layer}_{known.Kohya}"] = key;
                map[$"text_encoder.text_model.encoder.layers.{layer}.{module}"] = key;
            }
        }

        return map;
    }

    private static string Underscored(string name) => name.Replace('.', '_');

    [GeneratedRegex(@"^encoder\.layers\.(?<layer>\d+)\.(?<module>.+)\.weight$", RegexOptions.CultureInvariant)]
    private static partial Regex EncoderLayer();
}
