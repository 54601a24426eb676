using ComfySnap.Tests.Diffusion.Support;
using ComfySnap.Diffusion.Models.StableDiffusion;
using ComfySnap.Diffusion.Models.StableDiffusion.Generation;

namespace ComfySnap.Tests.Diffusion;

public sealed class RandomCheckpointTests(TinyCheckpointFixture tiny) : IClassFixture<TinyCheckpointFixture>
{
    /// <summary>From sdref/cases/manifest.json: make_checkpoint.py tiny --dtype fp32 --seed 0 under torch 2.14.1.</summary>
    private const string ReferenceTensorDataSha256 = "42a4f186d5cbe7dd8694390f107d422e07ca56913a08196eb5d44eb660e2890c";

    [Fact]
    public void Tiny_preset_reproduces_the_reference_generators_tensors_bit_for_bit()
    {
        Assert.Equal(424, tiny.Generated.Tensors);
        Assert.Equal(1_001_828 + 1_250_759 + 3_267_136, tiny.Generated.Parameters);
        Assert.Equal(ReferenceTensorDataSha256, tiny.Generated.TensorDataSha256);
    }

    [Fact]
    public void Generated_checkpoint_loads_with_the_sizes_it_was_made_with()
    {
        using var checkpoint = SdCheckpoint.Load(tiny.Path, conversionDirectory: null);
        var unet = checkpoint.Unet.Config;
        Assert.Equal(32, unet.ModelChannels);
        Assert.Equal([1L, 2L], unet.ChannelMult);
        Assert.Equal([2], unet.AttentionResolutions.Order());
        Assert.Equal(64, unet.ContextDim);
        Assert.Equal(2, unet.NumHeads);
        Assert.Equal("header metadata", checkpoint.Arch.Source);
        Assert.Equal([1L, 2L, 2L, 2L], checkpoint.Vae.Config.ChannelMult);
        Assert.Equal(2, checkpoint.Clip.Config.Heads);
        Assert.Equal(2, checkpoint.Clip.Config.Layers);
        Assert.Empty(checkpoint.IgnoredKeys);
    }

    [Fact]
    public void Layout_of_the_full_preset_has_sd15s_parameter_counts()
    {
        var layout = RandomCheckpoint.Layout(CheckpointPreset.Sd15Full);
        long Count(string prefix) => layout.Where(r => r.Key.StartsWith(prefix, StringComparison.Ordinal)).Sum(r => r.Shape.Aggregate(1L, (a, b) => a * b));
        Assert.Equal(859_520_964, Count(CheckpointLayout.UnetPrefix));
        Assert.Equal(83_653_863, Count(CheckpointLayout.VaePrefix));
        Assert.Equal(123_060_480, Count(CheckpointLayout.ClipPrefix));
    }
}
