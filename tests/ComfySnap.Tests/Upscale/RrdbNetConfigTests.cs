using ComfySnap.Tests.Upscale.Support;
using ComfySnap.Diffusion.Models;
using ComfySnap.Diffusion.Models.Esrgan;
using TorchSharp;
using static TorchSharp.torch;

namespace ComfySnap.Tests.Upscale;

/// <summary>The architecture is read off the state dict: tiny test models and the real x4plus size both load.</summary>
public sealed class RrdbNetConfigTests
{
    [Theory]
    [InlineData(8, 1, 4, 4)]
    [InlineData(8, 2, 4, 2)]
    [InlineData(12, 3, 6, 1)]
    public void Infers_tiny_architectures_and_their_scale(int numFeat, int numBlock, int numGrow, int scale)
    {
        using var scope = NewDisposeScope();
        using var stateDict = new StateDict(RrdbStateDicts.Zeros(numFeat, numBlock, numGrow, scale));

        var config = RrdbNetConfig.Infer(stateDict);

        Assert.Equal(new RrdbNetConfig(3, 3, numFeat, numBlock, numGrow, scale), config);
    }

    [Fact]
    public void Infers_and_loads_a_full_size_realesrgan_x4plus_layout()
    {
        using var scope = NewDisposeScope();
        using var stateDict = new StateDict(RrdbStateDicts.Random(64, 23, 32, 4, seed: 7));

        using var model = EsrganLoader.FromStateDict(stateDict);

        Assert.Equal(new RrdbNetConfig(3, 3, 64, 23, 32, 4), ((RrdbNet)model.Module).Config);
        Assert.Equal(4, model.Scale);
        // RealESRGAN_x4plus has 16,697,987 parameters.
        Assert.Equal(16_697_987L, model.Module.parameters().Sum(p => p.numel()));
        Assert.Equal(stateDict.Tensors.Count, model.Module.state_dict().Count);

        // A tiny forward pass only: the full network on a real image is too slow for the suite.
        using var noGrad = no_grad();
        var output = model.Run(rand(1, 3, 6, 5));
        Assert.Equal(new long[] { 1, 3, 24, 20 }, output.shape);
        Assert.True(output.isfinite().all().item<bool>());
    }

    [Fact]
    public void Loaded_weights_are_copies_of_the_state_dict()
    {
        using var scope = NewDisposeScope();
        using var stateDict = new StateDict(RrdbStateDicts.Random(8, 1, 4, 4, seed: 3));

        using var model = EsrganLoader.FromStateDict(stateDict);

        var loaded = model.Module.state_dict();
        TensorAssert.Identical(stateDict.Tensors["body.0.rdb3.conv5.weight"], loaded["body.0.rdb3.conv5.weight"]);
        TensorAssert.Identical(stateDict.Tensors["conv_last.bias"], loaded["conv_last.bias"]);
        Assert.All(model.Module.parameters(), p => Assert.False(p.requires_grad));
        Assert.False(model.Module.training);
    }

    [Fact]
    public void A_state_dict_of_another_architecture_names_the_missing_key()
    {
        using var scope = NewDisposeScope();
        using var stateDict = new StateDict(new Dictionary<string, Tensor> { ["encoder.conv_in.weight"] = zeros(8, 3, 3, 3) });

        var error = Assert.Throws<InvalidDataException>(() => EsrganLoader.FromStateDict(stateDict));

        Assert.Contains("not an RRDBNet", error.Message);
        Assert.Contains("'conv_first.weight'", error.Message);
    }

    [Fact]
    public void A_missing_block_weight_is_named()
    {
        using var scope = NewDisposeScope();
        var dict = RrdbStateDicts.Zeros(8, 2, 4, 4);
        dict.Remove("body.1.rdb2.conv3.bias");
        using var stateDict = new StateDict(dict);

        var error = Assert.Throws<InvalidDataException>(() => EsrganLoader.FromStateDict(stateDict));

        Assert.Contains("'body.1.rdb2.conv3.bias'", error.Message);
    }

    [Fact]
    public void A_wrongly_shaped_weight_is_named()
    {
        using var scope = NewDisposeScope();
        var dict = RrdbStateDicts.Zeros(8, 1, 4, 4);
        dict["conv_hr.weight"] = zeros(8, 8, 1, 1);
        using var stateDict = new StateDict(dict);

        var error = Assert.Throws<InvalidDataException>(() => EsrganLoader.FromStateDict(stateDict));

        Assert.Contains("'conv_hr.weight'", error.Message);
        Assert.Contains("[8,8,1,1]", error.Message);
    }

    [Fact]
    public void An_extra_key_is_named()
    {
        using var scope = NewDisposeScope();
        var dict = RrdbStateDicts.Zeros(8, 1, 4, 4);
        dict["conv_extra.weight"] = zeros(3);
        using var stateDict = new StateDict(dict);

        var error = Assert.Throws<InvalidDataException>(() => EsrganLoader.FromStateDict(stateDict));

        Assert.Contains("'conv_extra.weight'", error.Message);
    }

    [Fact]
    public void The_original_esrgan_key_layout_is_refused_by_name()
    {
        using var scope = NewDisposeScope();
        using var stateDict = new StateDict(new Dictionary<string, Tensor> { ["model.0.weight"] = zeros(64, 3, 3, 3) });

        var error = Assert.Throws<InvalidDataException>(() => RrdbNetConfig.Infer(stateDict));

        Assert.Contains("model.0.weight", error.Message);
    }
}
