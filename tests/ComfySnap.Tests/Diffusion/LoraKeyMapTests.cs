using ComfySnap.Diffusion.Models.StableDiffusion;
using ComfySnap.Diffusion.Models.StableDiffusion.Generation;
using ComfySnap.Diffusion.Models.StableDiffusion.Lora;

namespace ComfySnap.Tests.Diffusion;

/// <summary>The LoRA names of SD 1.x weights (ComfyUI's key maps), checked against the checkpoint layouts of the presets.</summary>
public sealed class LoraKeyMapTests
{
    public static TheoryData<string> Presets => [.. CheckpointPreset.All.Select(p => p.Name)];

    [Theory]
    [MemberData(nameof(Presets))]
    public void Every_unet_weight_has_a_diffusers_name_and_the_extra_names_are_optional_layers(string presetName)
    {
        var preset = CheckpointPreset.Named(presetName);
        var weights = UnetWeights(preset);
        var diffusers = UnetDiffusersNames.For(preset.Unet);

        Assert.Empty(weights.Except(diffusers.Values, StringComparer.Ordinal));
        // Names for layers this size of UNet does not have: shortcuts where channels stay, the last level's resamplers.
        var absent = diffusers.Where(kv => !weights.Contains(kv.Value)).Select(kv => kv.Key).ToList();
        Assert.All(absent, name => Assert.True(
            name.EndsWith(".conv_shortcut", StringComparison.Ordinal)
            || name == $"down_blocks.{preset.Unet.ChannelMult.Count - 1}.downsamplers.0.conv"
            || name == $"up_blocks.{preset.Unet.ChannelMult.Count - 1}.upsamplers.0.conv",
            $"{name} -> {diffusers[name]} is not in the {presetName} checkpoint"));
    }

    [Fact]
    public void Sd15_names_follow_comfyui_unet_to_diffusers()
    {
        var names = UnetDiffusersNames.For(CheckpointPreset.Sd15Full.Unet);

        Assert.Equal("input_blocks.1.1.proj_in", names["down_blocks.0.attentions.0.proj_in"]);
        Assert.Equal("input_blocks.5.0.in_layers.2", names["down_blocks.1.resnets.1.conv1"]);
        Assert.Equal("input_blocks.3.0.op", names["down_blocks.0.downsamplers.0.conv"]);
        Assert.Equal("middle_block.1.transformer_blocks.0.attn2.to_out.0", names["mid_block.attentions.0.transformer_blocks.0.attn2.to_out.0"]);
        Assert.Equal("middle_block.2.emb_layers.1", names["mid_block.resnets.1.time_emb_proj"]);
        Assert.Equal("output_blocks.2.1.conv", names["up_blocks.0.upsamplers.0.conv"]);
        Assert.Equal("output_blocks.5.2.conv", names["up_blocks.1.upsamplers.0.conv"]);
        Assert.Equal("output_blocks.11.1.transformer_blocks.0.ff.net.0.proj", names["up_blocks.3.attentions.2.transformer_blocks.0.ff.net.0.proj"]);
        Assert.Equal("output_blocks.9.0.skip_connection", names["up_blocks.3.resnets.0.conv_shortcut"]);
        Assert.Equal("out.2", names["conv_out"]);
    }

    [Fact]
    public void Every_key_format_names_the_same_sd15_weight()
    {
        var preset = CheckpointPreset.Sd15Full;
        var keys = RandomCheckpoint.Layout(preset).Select(r => r.Key).ToList();
        var unet = LoraKeyMap.ForUnet(keys, preset.Unet);
        var clip = LoraKeyMap.ForClip(keys);

        const string ToQ = "model.diffusion_model.input_blocks.1.1.transformer_blocks.0.attn1.to_q.weight";
        Assert.Equal(ToQ, unet["lora_unet_input_blocks_1_1_transformer_blocks_0_attn1_to_q"]);
        Assert.Equal(ToQ, unet["lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q"]);
        Assert.Equal(ToQ, unet["lycoris_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q"]);
        Assert.Equal(ToQ, unet["diffusion_model.input_blocks.1.1.transformer_blocks.0.attn1.to_q"]);
        Assert.Equal(ToQ, unet["unet.down_blocks.0.attentions.0.transformer_blocks.0.attn1.processor.to_q"]);
        Assert.Equal(ToQ, unet["down_blocks.0.attentions.0.transformer_blocks.0.attn1.processor.to_q"]);
        Assert.Equal(ToQ, unet["unet.down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q"]);
        const string ToOut = "model.diffusion_model.output_blocks.3.1.transformer_blocks.0.attn2.to_out.0.weight";
        Assert.Equal(ToOut, unet["unet.up_blocks.1.attentions.0.transformer_blocks.0.attn2.processor.to_out"]);
        Assert.Equal(ToOut, unet["unet.up_blocks.1.attentions.0.transformer_blocks.0.attn2.to_out.0"]);
        Assert.Equal(ToOut, unet["lora_unet_up_blocks_1_attentions_0_transformer_blocks_0_attn2_to_out_0"]);

        const string Fc1 = "cond_stage_model.transformer.text_model.encoder.layers.11.mlp.fc1.weight";
        Assert.Equal(Fc1, clip["lora_te_text_model_encoder_layers_11_mlp_fc1"]);
        Assert.Equal(Fc1, clip["lora_te1_text_model_encoder_layers_11_mlp_fc1"]);
        Assert.Equal(Fc1, clip["text_encoder.text_model.encoder.layers.11.mlp.fc1"]);
        Assert.Equal(Fc1, clip["text_encoders.clip_l.transformer.text_model.encoder.layers.11.mlp.fc1"]);
        // Only weights the model has: no bias names, no layers past the last.
        Assert.DoesNotContain(unet.Values, k => !k.EndsWith(".weight", StringComparison.Ordinal) || !keys.Contains(k));
        Assert.False(clip.ContainsKey("lora_te_text_model_encoder_layers_12_mlp_fc1"));
    }

    private static HashSet<string> UnetWeights(CheckpointPreset preset) =>
    [
        .. RandomCheckpoint.Layout(preset)
            .Select(r => r.Key)
            .Where(k => k.StartsWith(CheckpointLayout.UnetPrefix, StringComparison.Ordinal) && k.EndsWith(".weight", StringComparison.Ordinal))
            .Select(k => k[CheckpointLayout.UnetPrefix.Length..^".weight".Length]),
    ];
}
