using ComfySnap.Diffusion.Models;
using ComfySnap.Diffusion.Models.StableDiffusion;
using ComfySnap.Diffusion.Models.StableDiffusion.Lora;
using ComfySnap.Diffusion.Models.StableDiffusion.Sdxl;
using ComfySnap.Diffusion.Text;
using ComfySnap.Tests.Diffusion.Support;
using ComfySnap.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using static TorchSharp.torch;

namespace ComfySnap.Tests.Diffusion;

/// <summary>
/// LoRA on SDXL base (sdxl-tiny) with the names ComfyUI's model_lora_keys_unet/clip give SDXL:
/// kohya over the original UNet layout and over diffusers names (per-level depths), "lora_te1_" for
/// CLIP-L and "lora_te2_" for OpenCLIP-G, whose q/k/v are rows of the fused in_proj. Exactly the
/// named weights change, by strength * alpha / rank * up @ down (CLIP copies rounded through fp16).
/// </summary>
public sealed class SdxlLoraTests(SdxlTinyCheckpointFixture tiny) : IClassFixture<SdxlTinyCheckpointFixture>, IDisposable
{
    private const string Unet = "model.diffusion_model.";
    private const string G = SdxlLayout.ClipGPrefix + "transformer.resblocks.";

    /// <summary>LoRA name -> (checkpoint key, rows of it or null).</summary>
    private static readonly (string Name, string Key, (long Start, long Length)? Rows)[] Targets =
    [
        ("lora_unet_input_blocks_4_1_transformer_blocks_0_attn2_to_k", Unet + "input_blocks.4.1.transformer_blocks.0.attn2.to_k.weight", null),
        ("lora_unet_down_blocks_2_attentions_1_transformer_blocks_1_attn1_to_q", Unet + "input_blocks.8.1.transformer_blocks.1.attn1.to_q.weight", null),
        ("lora_unet_up_blocks_0_upsamplers_0_conv", Unet + "output_blocks.2.2.conv.weight", null),
        ("lora_unet_mid_block_attentions_0_transformer_blocks_1_ff_net_2", Unet + "middle_block.1.transformer_blocks.1.ff.net.2.weight", null),
        ("lora_te1_text_model_encoder_layers_1_self_attn_q_proj", SdxlLayout.ClipLPrefix + "encoder.layers.1.self_attn.q_proj.weight", null),
        ("lora_te2_text_model_encoder_layers_0_self_attn_q_proj", G + "0.attn.in_proj_weight", (0, 48)),
        ("lora_te2_text_model_encoder_layers_0_self_attn_v_proj", G + "0.attn.in_proj_weight", (96, 48)),
        ("lora_te2_text_model_encoder_layers_2_mlp_fc1", G + "2.mlp.c_fc.weight", null),
    ];

    private readonly string _dir = TestEnvironment.NewTempDirectory("sdxl-lora");
    private readonly SdxlCheckpoint _checkpoint = SdxlCheckpoint.Load(tiny.Path, conversionDirectory: null, CheckpointFamily.SdxlBase);

    [Fact]
    public void Kohya_names_patch_exactly_their_unet_clip_l_and_clip_g_weights()
    {
        using var scope = NewDisposeScope();
        var loaded = new LoadedSdxlCheckpoint(_checkpoint, new ClipTokenizerProvider().Tokenizer, new ClipTokenizerProvider().ZeroPaddedTokenizer);
        var path = WriteLora();
        using var lora = LoraFile.Load(path);
        var (model, clip) = LoraApplication.ApplyToAny(lora, loaded.Model, loaded.Clip, 0.8, -1.5, NullLogger.Instance);
        var sdxlClip = Assert.IsType<SdxlClip>(clip);

        var unetKeys = Targets.Where(t => t.Key.StartsWith(Unet, StringComparison.Ordinal)).Select(t => t.Key).ToHashSet();
        var clipKeys = Targets.Where(t => !t.Key.StartsWith(Unet, StringComparison.Ordinal)).Select(t => t.Key).ToHashSet();
        Assert.True(unetKeys.SetEquals(model!.Weights.Patched.Keys), string.Join(", ", model.Weights.Patched.Keys));
        Assert.True(clipKeys.SetEquals(sdxlClip.Weights.Patched.Keys), string.Join(", ", sdxlClip.Weights.Patched.Keys));
        foreach (var weights in new[] { model.Weights, sdxlClip.Weights })
        {
            foreach (var (key, tensor) in weights.All)
            {
                Assert.Equal(!weights.Patched.ContainsKey(key), ReferenceEquals(tensor, _checkpoint.Weights[key]));
            }
        }

        var file = MappedSafetensors.Read(path);
        foreach (var key in unetKeys.Concat(clipKeys))
        {
            var isClip = clipKeys.Contains(key);
            var expected = _checkpoint.Weights[key].to_type(float32, copy: true);
            foreach (var target in Targets.Where(t => t.Key == key))
            {
                var rows = target.Rows is { } r ? expected.narrow(0, r.Start, r.Length) : expected;
                var diff = mm(file[target.Name + ".lora_up.weight"].flatten(1), file[target.Name + ".lora_down.weight"].flatten(1)).reshape(rows.shape);
                rows.add_(diff * ((isClip ? -1.5 : 0.8) * 2.0 / 4));
            }

            var actual = (isClip ? sdxlClip.Weights : model.Weights).All[key];
            var want = isClip ? expected.to_type(float16).to_type(float32) : expected;
            Assert.True((want - actual).abs().max().item<float>() <= 1e-5, key);
            Assert.True((actual - _checkpoint.Weights[key]).abs().max().item<float>() > 1e-3, $"{key} did not change");
        }

        // The k third of the fused in_proj, which no LoRA names, is the checkpoint's.
        var inProj = G + "0.attn.in_proj_weight";
        Assert.Equal(0f, (sdxlClip.Weights.All[inProj].narrow(0, 48, 48) - _checkpoint.Weights[inProj].narrow(0, 48, 48)).abs().max().item<float>());

        // The patched encoders are the ones that run.
        var plain = loaded.Clip.EncodePrompt("a red cat");
        var patched = sdxlClip.EncodePrompt("a red cat");
        Assert.True((plain.Context - patched.Context).abs().max().item<float>() > 1e-4);
        Assert.True((plain.Pooled!.Output - patched.Pooled!.Output).abs().max().item<float>() > 1e-4);
        foreach (var t in file.Values)
        {
            t.Dispose();
        }
    }

    public void Dispose()
    {
        _checkpoint.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>Rank 4, alpha 2, kohya up/down names, N(0, 0.1²) from a seeded generator.</summary>
    private string WriteLora()
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(7);
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, key, rows) in Targets)
        {
            var shape = _checkpoint.Weights[key].shape;
            var outRows = rows?.Length ?? shape[0];
            long[] down = shape.Length == 4 ? [4, shape[1], shape[2], shape[3]] : [4, shape[1]];
            long[] up = shape.Length == 4 ? [outRows, 4, 1, 1] : [outRows, 4];
            tensors[name + ".lora_down.weight"] = randn(down, generator: generator) * 0.1;
            tensors[name + ".lora_up.weight"] = randn(up, generator: generator) * 0.1;
            tensors[name + ".alpha"] = tensor(2.0f);
        }

        var path = Path.Combine(_dir, "sdxl-lora.safetensors");
        SafetensorsWriter.Save(path, tensors);
        return path;
    }
}
