using ComfySnap.Diffusion.Models.StableDiffusion.ControlNet;
using ComfySnap.Diffusion.Models.StableDiffusion.Generation;
using ComfySnap.Diffusion.Models.StableDiffusion.Unet;
using ComfySnap.Tests.Diffusion.Support;
using ComfySnap.Tests.Support;
using static TorchSharp.torch;

namespace ComfySnap.Tests.Diffusion;

/// <summary>ControlNet files as they are published: lllyasviel's layout with and without prefix, diffusers' layout, fp16, and the kinds that are refused.</summary>
public sealed class ControlNetLoadingTests : IDisposable
{
    private readonly string _dir = TestEnvironment.NewTempDirectory("controlnet-load");

    [Fact]
    public void Controlnet_tiny_loads_with_the_tiny_unets_sizes_and_residuals_that_fit_its_skips()
    {
        using var file = ControlNetFile.Load(ControlNetFiles.Tiny(Path.Combine(_dir, "cn.safetensors")), conversionDirectory: null);

        Assert.Equal(ControlNetKeyLayout.OriginalPrefixed, file.Layout);
        Assert.Equal(0, file.IgnoredKeys);
        var config = file.Model.Config;
        Assert.Equal(3, config.HintChannels);
        Assert.Equal(CheckpointPreset.Tiny.Unet.ModelChannels, config.Unet.ModelChannels);
        Assert.Equal(CheckpointPreset.Tiny.Unet.ChannelMult, config.Unet.ChannelMult);
        Assert.Equal(CheckpointPreset.Tiny.Unet.AttentionResolutions.Order(), config.Unet.AttentionResolutions.Order());
        Assert.Equal(CheckpointPreset.Tiny.Unet.NumHeads, config.Unet.NumHeads);

        using var scope = NewDisposeScope();
        using var residuals = Residuals(file, latentHeight: 8, latentWidth: 6);
        // tiny: conv in, level-0 res block, downsampler, level-1 res block.
        Assert.Equal([[2, 32, 8, 6], [2, 32, 8, 6], [2, 32, 4, 3], [2, 64, 4, 3]], residuals.Skips.Select(s => s.shape));
        Assert.Equal([2, 64, 4, 3], residuals.Middle.shape);
        Assert.All(residuals.Skips, s => Assert.True(s.abs().max().item<float>() > 1e-3, "a random ControlNet's zero convolutions are not zero"));
    }

    [Fact]
    public void Keys_without_prefix_and_diffusers_names_give_the_same_residuals()
    {
        var original = ControlNetFiles.Tiny(Path.Combine(_dir, "cn.safetensors"));
        var bare = Path.Combine(_dir, "bare.safetensors");
        var diffusers = Path.Combine(_dir, "diffusers.safetensors");
        ControlNetFiles.Rewrite(original, bare, ControlNetFiles.WithoutPrefix);
        ControlNetFiles.Rewrite(original, diffusers, ControlNetFiles.Diffusers);

        using var a = ControlNetFile.Load(original, null);
        using var b = ControlNetFile.Load(bare, null);
        using var c = ControlNetFile.Load(diffusers, null);

        Assert.Equal(ControlNetKeyLayout.Original, b.Layout);
        Assert.Equal(ControlNetKeyLayout.Diffusers, c.Layout);
        Assert.Equal(0, c.IgnoredKeys);
        using var scope = NewDisposeScope();
        using var expected = Residuals(a, 4, 4);
        foreach (var other in new[] { b, c })
        {
            using var actual = Residuals(other, 4, 4);
            Assert.Equal(0f, (expected.Middle - actual.Middle).abs().max().item<float>());
            Assert.All(expected.Skips.Zip(actual.Skips), p => Assert.Equal(0f, (p.First - p.Second).abs().max().item<float>()));
        }
    }

    [Fact]
    public void Fp16_file_computes_in_float32_from_a_mapped_side_file()
    {
        var path = ControlNetFiles.Tiny(Path.Combine(_dir, "cn-fp16.safetensors"), dtype: "fp16");
        var converted = Path.Combine(_dir, ".converted");

        using var file = ControlNetFile.Load(path, converted);

        Assert.Contains(Directory.GetFiles(converted, "*.compute.safetensors").Single(), file.MappedFiles);
        using var scope = NewDisposeScope();
        using var residuals = Residuals(file, 4, 4);
        Assert.Equal(ScalarType.Float32, residuals.Middle.dtype);
    }

    [Theory]
    [InlineData("lora_controlnet", "control-LoRA")]
    [InlineData("task_embedding", "ControlNet union / ProMax")]
    [InlineData("control_model.control_add_embedding.linear_1.weight", "ControlNet union / ProMax")]
    [InlineData("body.0.in_conv.weight", "T2I-Adapter")]
    [InlineData("controlnet_blocks.0.weight", "MMDiT (SD3 / Flux) ControlNet")]
    public void Unsupported_kinds_are_refused_naming_the_kind_and_the_file(string markerKey, string kind)
    {
        var original = ControlNetFiles.Tiny(Path.Combine(_dir, "cn.safetensors"));
        var path = Path.Combine(_dir, "other-kind.safetensors");
        ControlNetFiles.Rewrite(original, path, k => k, new Dictionary<string, long[]> { [markerKey] = [1] });

        var error = Assert.Throws<InvalidDataException>(() => ControlNetFile.Load(path, null));

        Assert.Contains(kind, error.Message, StringComparison.Ordinal);
        Assert.Contains("other-kind.safetensors", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_that_is_no_controlnet_says_so()
    {
        var original = ControlNetFiles.Tiny(Path.Combine(_dir, "cn.safetensors"));
        var path = Path.Combine(_dir, "no-zero-convs.safetensors");
        ControlNetFiles.Rewrite(original, path, k => k.Contains("zero_convs", StringComparison.Ordinal) ? null : k);

        var error = Assert.Throws<InvalidDataException>(() => ControlNetFile.Load(path, null));

        Assert.Contains("'no-zero-convs.safetensors' is not a ControlNet", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Generation_is_deterministic_from_the_seed()
    {
        var a = RandomControlNet.Write(ControlNetPreset.Tiny, Path.Combine(_dir, "a.safetensors"), seed: 7);
        var b = RandomControlNet.Write(ControlNetPreset.Tiny, Path.Combine(_dir, "b.safetensors"), seed: 7);
        var c = RandomControlNet.Write(ControlNetPreset.Tiny, Path.Combine(_dir, "c.safetensors"), seed: 8);

        Assert.Equal(a.TensorDataSha256, b.TensorDataSha256);
        Assert.NotEqual(a.TensorDataSha256, c.TensorDataSha256);
        Assert.All(RandomControlNet.Layout(ControlNetPreset.Tiny), r => Assert.StartsWith(ControlNetLayout.OriginalPrefix, r.Key, StringComparison.Ordinal));
    }

    [Fact]
    public void Full_preset_has_the_parameter_count_of_controlnet_for_sd15()
    {
        var layout = RandomControlNet.Layout(ControlNetPreset.Sd15Full);
        // lllyasviel/ControlNet cldm.py ControlNet with models/cldm_v15.yaml counts the same (Fixtures/controlnet/manifest.json).
        Assert.Equal(361_279_120, layout.Sum(r => r.Shape.Aggregate(1L, (x, y) => x * y)));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>The residuals for a batch of 2 at a fixed input (one control image for both).</summary>
    private static ControlResiduals Residuals(ControlNetFile file, long latentHeight, long latentWidth)
    {
        using var generator = new TorchSharp.torch.Generator(5);
        using var x = randn([2, 4, latentHeight, latentWidth], generator: generator);
        using var hint = rand([1, 3, latentHeight * 8, latentWidth * 8], generator: generator);
        using var t = tensor(new float[] { 999, 500 });
        using var context = randn([2, 77, file.Model.Config.Unet.ContextDim], generator: generator);
        return file.Model.Forward(x, hint, t, context);
    }
}
