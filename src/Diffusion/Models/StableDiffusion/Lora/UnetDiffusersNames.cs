using ComfySnap.Diffusion.Models.StableDiffusion.Unet;

namespace ComfySnap.Diffusion.Models.StableDiffusion.Lora;

/// <summary>
/// The diffusers name of every UNet weight (without ".weight") and its name in the original
/// layout under <c>model.diffusion_model.</c>: ComfyUI's utils.unet_to_diffusers for an SD 1.x
/// config. LoRAs trained on diffusers models (kohya's "lora_unet_down_blocks_0_...") name
/// weights this way. Names of weights a model lacks may appear; callers keep those it has.
/// </summary>
public static class UnetDiffusersNames
{
    private static readonly (string Original, string Diffusers)[] ResNet =
    [
        ("in_layers.0", "norm1"), ("in_layers.2", "conv1"), ("emb_layers.1", "time_emb_proj"),
        ("out_layers.0", "norm2"), ("out_layers.3", "conv2"), ("skip_connection", "conv_shortcut"),
    ];

    private static readonly string[] Attention = ["norm", "proj_in", "proj_out"];

    private static readonly string[] TransformerBlock =
    [
        "norm1", "norm2", "norm3", "attn1.to_q", "attn1.to_k", "attn1.to_v", "attn1.to_out.0",
        "attn2.to_q", "attn2.to_k", "attn2.to_v", "attn2.to_out.0", "ff.net.0.proj", "ff.net.2",
    ];

    private static readonly (string Original, string Diffusers)[] Basic =
    [
        ("input_blocks.0.0", "conv_in"), ("out.0", "conv_norm_out"), ("out.2", "conv_out"),
        ("time_embed.0", "time_embedding.linear_1"), ("time_embed.2", "time_embedding.linear_2"),
    ];

    /// <summary>Diffusers name -> original name, for the weights of a UNet of <paramref name="config"/>.</summary>
    public static IReadOnlyDictionary<string, string> For(UnetConfig config)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        var levels = config.ChannelMult.Count;
        bool HasAttention(int level) => config.AttentionResolutions.Contains(1 << level);

        void AddResNet(string from, string to)
        {
            foreach (var (original, diffusers) in ResNet)
            {
                map[$"{from}.{diffusers}"] = $"{to}.{original}";
            }
        }

        void AddAttention(string from, string to, int depth)
        {
            foreach (var name in Attention)
            {
                map[$"{from}.{name}"] = $"{to}.{name}";
            }

            for (var t = 0; t < depth; t++)
            {
                foreach (var name in TransformerBlock)
                {
                    map[$"{from}.transformer_blocks.{t}.{name}"] = $"{to}.transformer_blocks.{t}.{name}";
                }
            }
        }

        // Levels may differ in res blocks and transformer depth (SDXL): block numbers run on.
        var n = 1;
        for (var level = 0; level < levels; level++, n++)
        {
            for (var i = 0; i < config.ResBlocksAt(level); i++, n++)
            {
                AddResNet($"down_blocks.{level}.resnets.{i}", $"input_blocks.{n}.0");
                if (HasAttention(level))
                {
                    AddAttention($"down_blocks.{level}.attentions.{i}", $"input_blocks.{n}.1", config.DepthAt(level));
                }
            }

            map[$"down_blocks.{level}.downsamplers.0.conv"] = $"input_blocks.{n}.0.op";
        }

        AddAttention("mid_block.attentions.0", "middle_block.1", config.MiddleDepth);
        AddResNet("mid_block.resnets.0", "middle_block.0");
        AddResNet("mid_block.resnets.1", "middle_block.2");

        // Up block x is the level levels-1-x, with one res block more than on the way down.
        n = 0;
        for (var x = 0; x < levels; x++)
        {
            var level = levels - 1 - x;
            var resBlocks = config.ResBlocksAt(level);
            var attention = HasAttention(level);
            for (var i = 0; i <= resBlocks; i++, n++)
            {
                AddResNet($"up_blocks.{x}.resnets.{i}", $"output_blocks.{n}.0");
                if (attention)
                {
                    AddAttention($"up_blocks.{x}.attentions.{i}", $"output_blocks.{n}.1", config.DepthAt(level));
                }

                if (i == resBlocks)
                {
                    map[$"up_blocks.{x}.upsamplers.0.conv"] = $"output_blocks.{n}.{(attention ? 2 : 1)}.conv";
                }
            }
        }

        foreach (var (original, diffusers) in Basic)
        {
            map[diffusers] = original;
        }

        return map;
    }
}
