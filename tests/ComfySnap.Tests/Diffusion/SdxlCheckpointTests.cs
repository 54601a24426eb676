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
}
