using ComfySnap.Tests.Diffusion.Support;
using ComfySnap.Tests.Support;
using ComfySnap.Diffusion.Models;
using ComfySnap.Diffusion.Models.StableDiffusion;
using ComfySnap.Diffusion.Models.StableDiffusion.Generation;
using TorchSharp;
using static TorchSharp.torch;

namespace ComfySnap.Tests.Diffusion;

/// <summary>Real checkpoint files as users have them: fp16, extra keys, legacy CLIP keys, side-files, broken files.</summary>
public sealed class CheckpointLoadingTests(TinyCheckpointFixture tiny) : IClassFixture<TinyCheckpointFixture>, IDisposable
{
    private readonly string _dir = TestEnvironment.NewTempDirectory("ckpt-load");

    [Fact]
    public void Fp16_checkpoint_is_converted_once_into_a_mapped_side_file_with_the_same_results()
    {
        var path = Path.Combine(_dir, "tiny-fp16.safetensors");
        RandomCheckpoint.Write(CheckpointPreset.Tiny, path, "fp16");
        var converted = Path.Combine(_dir, ".converted");

        using (var first = SdCheckpoint.Load(path, converted))
        {
            Assert.Null(first.ConversionNote);
            var side = Assert.Single(Directory.GetFiles(converted, "*.compute.safetensors"));
            Assert.Contains(side, first.MappedFiles);
            Assert.All(first.Weights.Values.Where(t => t.is_floating_point()), t => Assert.Equal(ScalarType.Float32, t.dtype));
        }

        var written = File.GetLastWriteTimeUtc(Directory.GetFiles(converted).Single());
        using var second = SdCheckpoint.Load(path, converted);
        Assert.Equal(written, File.GetLastWriteTimeUtc(Directory.GetFiles(converted).Single())); // reused, not rewritten

        // The same weights as the fp32 file rounded through fp16 (UNet) and kept fp16-rounded (CLIP).
        using var reference = SdCheckpoint.Load(tiny.Path, conversionDirectory: null);
        const string unetKey = CheckpointLayout.UnetPrefix + "input_blocks.0.0.weight";
        using var expected = reference.Weights[unetKey].to_type(ScalarType.Float16).to_type(ScalarType.Float32);
        Assert.Equal(0f, (expected - second.Weights[unetKey]).abs().max().item<float>());
        const string clipKey = CheckpointLayout.ClipPrefix + "encoder.layers.0.mlp.fc1.weight";
        Assert.Equal(0f, (reference.Weights[clipKey] - second.Weights[clipKey]).abs().max().item<float>());
    }

    [Fact]
    public void Unwritable_conversion_folder_falls_back_to_private_copies_and_says_why()
    {
        var path = Path.Combine(_dir, "tiny-fp16.safetensors");
        RandomCheckpoint.Write(CheckpointPreset.Tiny, path, "fp16");
        var blocked = Path.Combine(_dir, "a-file");
        File.WriteAllText(blocked, "not a folder");

        using var checkpoint = SdCheckpoint.Load(path, Path.Combine(blocked, "converted"));

        Assert.NotNull(checkpoint.ConversionNote);
        Assert.Equal(ScalarType.Float32, checkpoint.Weights[CheckpointLayout.UnetPrefix + "out.2.weight"].dtype);
    }

    [Fact]
    public void Extra_training_keys_are_ignored_and_legacy_clip_keys_renamed()
    {
        var path = Path.Combine(_dir, "real-layout.safetensors");
        RewriteCheckpoint(tiny.Path, path, tensors =>
        {
            tensors["model_ema.decay"] = tensor(0.9999f);
            tensors["betas"] = linspace(0.00085, 0.012, 1000);
            tensors[CheckpointLayout.ClipPrefix + "embeddings.position_ids"] = arange(77L).unsqueeze(0);
            // Older files: the text model directly under cond_stage_model.transformer.
            foreach (var key in tensors.Keys.Where(k => k.StartsWith(CheckpointLayout.ClipPrefix, StringComparison.Ordinal)).ToList())
            {
                tensors[CheckpointLayout.ClipLegacyPrefix + key[CheckpointLayout.ClipPrefix.Length..]] = tensors[key];
                tensors.Remove(key);
            }
        });

        using var checkpoint = SdCheckpoint.Load(path, Path.Combine(_dir, ".converted"));

        Assert.Equal(2, checkpoint.Clip.Config.Layers);
        Assert.Contains("model_ema.decay", checkpoint.IgnoredKeys);
        Assert.Contains("betas", checkpoint.IgnoredKeys);
        Assert.Contains(CheckpointLayout.ClipPrefix + "embeddings.position_ids", checkpoint.IgnoredKeys);
    }

    [Fact]
    public void Missing_key_is_an_error_naming_it()
    {
        const string key = CheckpointLayout.UnetPrefix + "input_blocks.3.1.transformer_blocks.0.attn2.to_v.weight";
        var path = Path.Combine(_dir, "missing.safetensors");
        RewriteCheckpoint(tiny.Path, path, tensors => tensors.Remove(key));

        var error = Assert.Throws<InvalidDataException>(() => SdCheckpoint.Load(path, null));

        Assert.Contains(key, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Mis_shaped_key_is_an_error_naming_it_and_both_shapes()
    {
        const string key = CheckpointLayout.VaePrefix + "decoder.mid.block_1.conv2.weight";
        var path = Path.Combine(_dir, "misshaped.safetensors");
        RewriteCheckpoint(tiny.Path, path, tensors => tensors[key] = zeros(128, 128, 1, 1));

        var error = Assert.Throws<InvalidDataException>(() => SdCheckpoint.Load(path, null));

        Assert.Contains(key, error.Message, StringComparison.Ordinal);
        Assert.Contains("[128,128,1,1]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Side_file_head_counts_override_the_header_and_wrong_ones_are_refused()
    {
        var path = Path.Combine(_dir, "heads.safetensors");
        File.Copy(tiny.Path, path);
        File.WriteAllText(Path.Combine(_dir, "heads.arch.json"), """{"unet":{"num_heads":4},"clip":{"num_heads":1}}""");

        using (var checkpoint = SdCheckpoint.Load(path, null))
        {
            Assert.Equal(4, checkpoint.Unet.Config.NumHeads);
            Assert.Equal(1, checkpoint.Clip.Config.Heads);
            Assert.Equal("side-file heads.arch.json", checkpoint.Arch.Source);
        }

        File.WriteAllText(Path.Combine(_dir, "heads.arch.json"), """{"clip":{"num_heads":3}}""");
        var error = Assert.Throws<InvalidDataException>(() => SdCheckpoint.Load(path, null));
        Assert.Contains("not divisible by 3 heads", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_that_is_not_an_sd_checkpoint_is_refused_clearly()
    {
        var path = Path.Combine(_dir, "esrgan.safetensors");
        SafetensorsWriter.Save(path, new Dictionary<string, Tensor> { ["conv_first.weight"] = zeros(8, 3, 3, 3) });

        var error = Assert.Throws<InvalidDataException>(() => SdCheckpoint.Load(path, null));

        Assert.Contains("not an SD 1.x checkpoint", error.Message, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static void RewriteCheckpoint(string source, string target, Action<Dictionary<string, Tensor>> change)
    {
        using var scope = NewDisposeScope();
        var tensors = MappedSafetensors.Read(source);
        change(tensors);
        SafetensorsWriter.Save(target, tensors);
    }
}
