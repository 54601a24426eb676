using ComfySnap.Diffusion.Models.StableDiffusion.Generation;
using ComfySnap.Diffusion.Models.StableDiffusion.Sdxl;
using ComfySnap.Tests.Diffusion.Support;
using ComfySnap.Diffusion.Models;

namespace ComfySnap.Tests.Diffusion;

public sealed class SdxlCheckpointTests(SdxlTinyCheckpointFixture tiny) : IClassFixture<SdxlTinyCheckpointFixture>
{
    /// <summary>From sdref/cases/sdxl/README.md: make_checkpoint.py sdxl-tiny --dtype fp32 --seed 0 under torch 2.14.1.</summary>
    private const string ReferenceTensorDataSha256 = "1e912a7d9b78ba33ec76ce4312b0b541e7f582c5164a314421d2eaaf76779d64";

    [Fact]
    public void Sdxl_tiny_preset_reproduces_the_reference_generators_tensors_bit_for_bit()
    {
        // The reference's manifest: 891 tensors; UNet 3,282,564, VAE 1,250,759, CLIP-L 1,621,696, CLIP-G 2,462,496.
        Assert.Equal(891, tiny.Generated.Tensors);
        Assert.Equal(3_282_564 + 1_250_759 + 1_621_696 + 2_462_496, tiny.Generated.Parameters);
        Assert.Equal(ReferenceTensorDataSha256, tiny.Generated.TensorDataSha256);
    }

    [Fact]
    public void Generated_checkpoint_is_detected_as_sdxl_base_and_loads_with_its_sizes()
    {
        Assert.Equal(CheckpointFamily.SdxlBase, SdxlLayout.Detect(MappedSafetensors.ReadKeys(tiny.Path)));
        using var checkpoint = SdxlCheckpoint.Load(tiny.Path, conversionDirectory: null, CheckpointFamily.SdxlBase);
        var unet = checkpoint.Unet.Config;
        Assert.Equal(32, unet.ModelChannels);
        Assert.Equal([1L, 2L, 2L], unet.ChannelMult);
        Assert.Equal([0, 1, 2], unet.LevelTransformerDepths!);
        Assert.Equal(2, unet.MiddleDepth);
        Assert.Equal([2, 2, 2], unet.LevelResBlocks!);
        Assert.Equal(80, unet.ContextDim);
        Assert.Equal(1584, unet.AdmInChannels);
        Assert.Equal(16, unet.NumHeadChannels);
        Assert.True(unet.LinearProjection);
        Assert.Equal(2, checkpoint.ClipL!.Config.Heads);
        Assert.Equal(3, checkpoint.ClipL.Config.Layers);
        Assert.Equal(3, checkpoint.ClipG.Config.Heads);
        Assert.Equal(48, checkpoint.ClipG.Config.ProjectionDim);
        Assert.Equal("header metadata", checkpoint.Arch.Source);
        Assert.Empty(checkpoint.IgnoredKeys);
    }

    [Fact]
    public void Full_preset_has_sdxl_base_1_0s_parameter_counts()
    {
        var layout = SdxlCheckpointPreset.Full.Layout();
        long Count(string part) => layout.Where(r => CheckpointParts.Of(r.Key) == part).Sum(r => r.Shape.Aggregate(1L, (a, b) => a * b));
        Assert.Equal(2_567_463_684, Count("unet"));
        Assert.Equal(83_653_863, Count("vae"));
        Assert.Equal(123_060_480, Count("clip_l"));
        Assert.Equal(694_659_840, Count("clip_g"));
        Assert.Equal(2513, layout.Count);
    }

    [Fact]
    public void Refiner_full_preset_has_the_sdxl_refiner_1_0_layouts_parameter_counts()
    {
        // generative-models sd_xl_refiner.yaml built from the upstream modules (sdxl-refiner-parts/README.md).
        var layout = SdxlCheckpointPreset.RefinerFull.Layout();
        long Count(string part) => layout.Where(r => CheckpointParts.Of(r.Key) == part).Sum(r => r.Shape.Aggregate(1L, (a, b) => a * b));
        Assert.Equal(2_259_526_660, Count("unet"));
        Assert.Equal(694_659_840, Count("clip_g"));
        Assert.Equal(83_653_863, Count("vae"));
        Assert.Equal(0, Count("clip_l"));
        Assert.All(layout.Where(r => CheckpointParts.Of(r.Key) == "clip_g"), r => Assert.StartsWith(SdxlLayout.RefinerClipGPrefix, r.Key, StringComparison.Ordinal));
    }

    [Fact]
    public void Refiner_tiny_preset_is_detected_as_a_refiner_and_loads()
    {
        var path = Path.Combine(Path.GetDirectoryName(tiny.Path)!, "refiner-tiny.safetensors");
        RandomCheckpoint.Write(SdxlCheckpointPreset.RefinerTiny, path, "fp16", seed: 3);
        Assert.Equal(CheckpointFamily.SdxlRefiner, SdxlLayout.Detect(MappedSafetensors.ReadKeys(path)));
        using var checkpoint = SdxlCheckpoint.Load(path, conversionDirectory: null, CheckpointFamily.SdxlRefiner);
        Assert.Null(checkpoint.ClipL);
        Assert.Equal(48, checkpoint.Unet.Config.ContextDim);
        Assert.Equal(48 + 5 * 256, checkpoint.Unet.Config.AdmInChannels);
        Assert.IsType<SdxlRefinerAdm>(checkpoint.Adm);
        Assert.Empty(checkpoint.IgnoredKeys);
    }

    [Fact]
    public void A_label_embedding_without_sdxl_text_encoders_is_refused_by_name()
    {
        var error = Assert.Throws<InvalidDataException>(() => SdxlLayout.Detect(["model.diffusion_model.label_emb.0.0.weight", "cond_stage_model.transformer.text_model.final_layer_norm.weight"]));
        Assert.Contains("adm input", error.Message, StringComparison.Ordinal);
        Assert.Equal(CheckpointFamily.Sd1, SdxlLayout.Detect(["model.diffusion_model.out.2.weight", "cond_stage_model.transformer.text_model.final_layer_norm.weight"]));
    }
}
