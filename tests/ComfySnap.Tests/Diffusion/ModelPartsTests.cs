using ComfySnap.Tests.Diffusion.Support;
using ComfySnap.Diffusion.Models;
using ComfySnap.Diffusion.Models.StableDiffusion;
using TorchSharp;
using static TorchSharp.torch;

namespace ComfySnap.Tests.Diffusion;

/// <summary>
/// Each model of the tiny checkpoint against the reference's own modules (CompVis UNet and VAE,
/// transformers' CLIP) on the same inputs: Fixtures/tiny-parts.safetensors, made by
/// Fixtures/make_parts_fixture.py in the reference environment.
/// </summary>
public sealed class ModelPartsTests(TinyCheckpointFixture tiny) : IClassFixture<TinyCheckpointFixture>, IDisposable
{
    private readonly Dictionary<string, Tensor> _expected = MappedSafetensors.Read(Path.Combine(AppContext.BaseDirectory, "Diffusion", "Fixtures", "tiny-parts.safetensors"));
    private readonly SdCheckpoint _checkpoint = SdCheckpoint.Load(tiny.Path, conversionDirectory: null);

    [Fact]
    public void Unet_predicts_the_reference_noise()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var eps = _checkpoint.Unet.Forward(_expected["unet_x"], _expected["unet_t"], _expected["unet_context"]);
        AssertClose(_expected["unet_eps"], eps, 1e-4);
    }

    [Fact]
    public void Vae_decodes_and_encodes_like_the_reference()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        AssertClose(_expected["vae_decoded"], _checkpoint.Vae.Decode(_expected["vae_z"]), 1e-4);
        AssertClose(_expected["vae_encoded"], _checkpoint.Vae.Encode(_expected["vae_pixels"]), 1e-4);
    }

    [Fact]
    public void Clip_last_and_penultimate_layers_match_the_reference_with_fp16_rounded_weights()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        AssertClose(_expected["clip_last"], _checkpoint.Clip.Encode(_expected["clip_ids"]), 1e-4);
        AssertClose(_expected["clip_penultimate"], _checkpoint.Clip.Encode(_expected["clip_ids"], stopAtLayer: -2), 1e-4);
    }

    public void Dispose()
    {
        _checkpoint.Dispose();
        foreach (var t in _expected.Values)
        {
            t.Dispose();
        }
    }

    private static void AssertClose(Tensor expected, Tensor actual, double tolerance)
    {
        Assert.Equal(expected.shape, actual.shape);
        var diff = (expected - actual).abs().max().item<float>();
        var scale = expected.abs().max().item<float>();
        Assert.True(diff <= tolerance * Math.Max(1, scale), $"max abs diff {diff} (values up to {scale})");
    }
}
