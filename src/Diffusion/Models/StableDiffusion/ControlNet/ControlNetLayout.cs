namespace ComfySnap.Diffusion.Models.StableDiffusion.ControlNet;

/// <summary>How a ControlNet file names its weights.</summary>
public enum ControlNetKeyLayout
{
    /// <summary>lllyasviel's layout inside a ControlLDM checkpoint: control_model.time_embed..., control_model.zero_convs...</summary>
    OriginalPrefixed,

    /// <summary>The same names without the control_model. prefix (most published .safetensors).</summary>
    Original,

    /// <summary>diffusers' ControlNetModel: controlnet_cond_embedding, down_blocks, controlnet_down_blocks, mid_block... (how SDXL ControlNets are published).</summary>
    Diffusers,
}

/// <summary>
/// Tells the ControlNet layouts ComfySnap loads from the files ComfyUI's load_controlnet
/// (comfy/controlnet.py) loads as something else, by the keys it looks for, so that those are
/// refused by name instead of failing on a missing weight.
/// </summary>
public static class ControlNetLayout
{
    public const string OriginalPrefix = "control_model.";

    private const string ZeroConv = "zero_convs.0.0.weight";
    private const string DiffusersHint = "controlnet_cond_embedding.conv_in.weight";

    /// <summary>Marker keys of the kinds ComfyUI loads and ComfySnap does not, checked in ComfyUI's order.</summary>
    private static readonly (string Kind, Func<IReadOnlySet<string>, bool> Matches)[] Unsupported =
    [
        ("control-LoRA", k => k.Contains("lora_controlnet")),
        ("Hunyuan-DiT ControlNet", k => k.Contains("after_proj_list.18.bias")),
        ("Flux ControlNet (diffusers)", k => k.Contains("controlnet_x_embedder.weight")),
        ("MMDiT (SD3 / Flux) ControlNet", k => k.Contains("controlnet_blocks.0.weight") || k.Contains("controlnet_blocks.0.linear.weight")),
        ("ControlNet union / ProMax", k => k.Contains("task_embedding") || k.Any(key => key.StartsWith("control_add_embedding.", StringComparison.Ordinal) || key.StartsWith(OriginalPrefix + "control_add_embedding.", StringComparison.Ordinal))),
        ("difference ControlNet (ComfyUI's DiffControlNetLoader adds the model's weights)", k => k.Contains("difference")),
        ("T2I-Adapter", k => k.Contains("adapter.body.0.resnets.0.block1.weight") || k.Contains("body.0.in_conv.weight") || (k.Contains("conv_in.weight") && k.Contains("body.0.block2.weight")) || k.Any(key => key.StartsWith("adapter.", StringComparison.Ordinal))),
        ("Stable Cascade ControlNet", k => k.Contains("backbone.0.0.weight") || k.Contains("backbone.10.blocks.0.weight")),
    ];

    /// <summary>The layout of a file with these keys, or a clear error naming the unsupported kind and the file.</summary>
    public static ControlNetKeyLayout Detect(IReadOnlySet<string> keys, string fileName)
    {
        foreach (var (kind, matches) in Unsupported)
        {
            if (matches(keys))
            {
                throw new InvalidDataException($"ControlNet '{fileName}' is a {kind}: only ControlNets in lllyasviel's or diffusers' layout (SD 1.x, SDXL) are supported");
            }
        }

        if (keys.Contains(DiffusersHint))
        {
            return ControlNetKeyLayout.Diffusers;
        }

        if (keys.Contains(OriginalPrefix + ZeroConv))
        {
            return ControlNetKeyLayout.OriginalPrefixed;
        }

        return keys.Contains(ZeroConv)
            ? ControlNetKeyLayout.Original
            : throw new InvalidDataException($"'{fileName}' is not a ControlNet: it has none of '{OriginalPrefix}{ZeroConv}', '{ZeroConv}' or '{DiffusersHint}'");
    }
}
