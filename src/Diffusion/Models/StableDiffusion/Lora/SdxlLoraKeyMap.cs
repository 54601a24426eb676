using ComfySnap.Diffusion.Models.StableDiffusion.Sdxl;

namespace ComfySnap.Diffusion.Models.StableDiffusion.Lora;

/// <summary>
/// LoRA names of SDXL's text encoder weights (ComfyUI's model_lora_keys_clip for SDXLClipModel and
/// SDXLRefinerClipModel), mapped to checkpoint keys. Base: CLIP-L as kohya "lora_te1_" (and
/// "lora_te_"), diffusers "text_encoder."; OpenCLIP-G as "lora_te2_", "text_encoder_2.". Refiner
/// (CLIP-G alone): "lora_te_", "lora_prior_te_", "text_encoder.". Generic: ComfyUI's own
/// "text_encoders.clip_l/clip_g.transformer.text_model.*". LoRAs name CLIP-G in the transformers
/// layout ComfyUI converts it to; its q/k/v are rows of the checkpoint's fused in_proj_weight.
/// </summary>
public static class SdxlLoraKeyMap
{
    /// <summary>The CLIP layers LoRAs train (ComfyUI's LORA_CLIP_MAP): transformers name -> kohya name.</summary>
    private static readonly (string Layer, string Kohya)[] ClipLayers =
    [
        ("mlp.fc1", "mlp_fc1"), ("mlp.fc2", "mlp_fc2"), ("self_attn.k_proj", "self_attn_k_proj"),
        ("self_attn.q_proj", "self_attn_q_proj"), ("self_attn.v_proj", "self_attn_v_proj"), ("self_attn.out_proj", "self_attn_out_proj"),
    ];

    public static Dictionary<string, string> ForClip(SdxlClip clip)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        var keys = clip.Weights.Checkpoint;
        if (clip.ClipL is { } clipL)
        {
            foreach (var key in keys.Keys.Where(k => k.StartsWith(SdxlLayout.ClipLPrefix, StringComparison.Ordinal) && k.EndsWith(".weight", StringComparison.Ordinal)))
            {
                map["text_encoders.clip_l.transformer.text_model." + key[SdxlLayout.ClipLPrefix.Length..^".weight".Length]] = key;
            }

            for (var b = 0; b < clipL.Config.Layers; b++)
            {
                foreach (var (layer, kohya) in ClipLayers)
                {
                    var key = $"{SdxlLayout.ClipLPrefix}encoder.layers.{b}.{layer}.weight";
                    map[$"lora_te_text_model_encoder_layers_{b}_{kohya}"] = key;
                    map[$"lora_te1_text_model_encoder_layers_{b}_{kohya}"] = key;
                    map[$"text_encoder.text_model.encoder.layers.{b}.{layer}"] = key;
                }
            }
        }

        var g = clip.ClipGPrefix;
        var width = clip.ClipG.Config.Width;
        for (var b = 0; b < clip.ClipG.Config.Layers; b++)
        {
            var block = $"{g}transformer.resblocks.{b}.";
            foreach (var (layer, kohya) in ClipLayers)
            {
                var target = layer switch
                {
                    "mlp.fc1" => block + "mlp.c_fc.weight",
                    "mlp.fc2" => block + "mlp.c_proj.weight",
                    "self_attn.out_proj" => block + "attn.out_proj.weight",
                    "self_attn.q_proj" => LoraTarget.Rows(block + "attn.in_proj_weight", 0, width),
                    "self_attn.k_proj" => LoraTarget.Rows(block + "attn.in_proj_weight", width, width),
                    _ => LoraTarget.Rows(block + "attn.in_proj_weight", 2 * width, width),
                };
                map[$"text_encoders.clip_g.transformer.text_model.encoder.layers.{b}.{layer}"] = target;
                if (clip.ClipL is not null)
                {
                    map[$"lora_te2_text_model_encoder_layers_{b}_{kohya}"] = target;
                    map[$"text_encoder_2.text_model.encoder.layers.{b}.{layer}"] = target;
                }
                else
                {
                    map[$"lora_te_text_model_encoder_layers_{b}_{kohya}"] = target;
                    map[$"text_encoder.text_model.encoder.layers.{b}.{layer}"] = target;
                    map[$"lora_prior_te_text_model_encoder_layers_{b}_{kohya}"] = target;
                }
            }
        }

        return map;
    }
}
