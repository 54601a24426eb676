using ComfySnap.Diffusion.Models;
using ComfySnap.Diffusion.Models.StableDiffusion;
using ComfySnap.Diffusion.Models.StableDiffusion.Sdxl;
using ComfySnap.Diffusion.Text;
using ComfySnap.Tests.Diffusion.Support;
using static TorchSharp.torch;

namespace ComfySnap.Tests.Diffusion;

/// <summary>
/// The SDXL refiner's parts against the upstream modules (open_clip's text tower, sgm's UNet,
/// ComfyUI's SDXLRefiner.encode_adm order): Fixtures/sdxl-refiner-parts, a tiny fp16 refiner in the
/// real single-file layout and the vectors make_refiner_parts.py computed from it.
/// </summary>
public sealed class SdxlRefinerPartsTests(SdxlRefinerPartsCheckpointFixture refiner) : IClassFixture<SdxlRefinerPartsCheckpointFixture>, IDisposable
{
    private static readonly string Folder = Path.Combine(AppContext.BaseDirectory, "Diffusion", "Fixtures", "sdxl-refiner-parts");
    private readonly Dictionary<string, Tensor> _expected = MappedSafetensors.Read(Path.Combine(Folder, "vectors.safetensors"));
    private readonly SdxlCheckpoint _checkpoint = SdxlCheckpoint.Load(refiner.Path, conversionDirectory: null, CheckpointFamily.SdxlRefiner);

    [Fact]
    public void The_generated_refiner_is_the_one_the_reference_vectors_were_computed_from() =>
        Assert.Equal(SdxlRefinerPartsCheckpointFixture.TensorDataSha256, refiner.Generated.TensorDataSha256);

    [Fact]
    public void Refiner_layout_is_detected_and_loads_clip_g_alone()
    {
        Assert.Equal(CheckpointFamily.SdxlRefiner, SdxlLayout.Detect(MappedSafetensors.ReadKeys(refiner.Path)));
        Assert.Null(_checkpoint.ClipL);
        Assert.Equal(16, _checkpoint.ClipG.Config.Width);
        Assert.Equal(2, _checkpoint.ClipG.Config.Heads);
        Assert.Equal(16 + 5 * 256, _checkpoint.Unet.Config.AdmInChannels);
        Assert.Equal([0, 1, 1, 0], _checkpoint.Unet.Config.LevelTransformerDepths!);
        Assert.Equal(["conditioner.embedders.0.model.logit_scale"], _checkpoint.IgnoredKeys);
    }

    [Fact]
    public void Clip_g_tokens_pad_with_zero()
    {
        var tokenizer = new ClipTokenizerProvider().ZeroPaddedTokenizer;
        var ids = _expected["clip_g_ids"];
        string[] prompts = ["a photograph of an astronaut riding a horse", ""];
        for (var row = 0; row < prompts.Length; row++)
        {
            var windows = tokenizer.TokenizeWithWeights(prompts[row]);
            Assert.Single(windows);
            Assert.Equal(ids[row].data<long>().ToArray(), windows[0].Select(t => (long)t.Id).ToArray());
        }
    }

    [Fact]
    public void Clip_g_penultimate_last_and_pooled_match_open_clip()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var ids = _expected["clip_g_ids"];
        long[] eos = [.. Enumerable.Range(0, 2).Select(r => (long)Array.IndexOf(ids[r].data<long>().ToArray(), 49407L))];
        var penultimate = _checkpoint.ClipG.Encode(ids, -2, eos);
        AssertClose(_expected["clip_g_penultimate"], penultimate.Hidden, 1e-5);
        AssertClose(_expected["clip_g_pooled"], penultimate.Pooled, 1e-5);
        AssertClose(_expected["clip_g_last"], _checkpoint.ClipG.Encode(ids, -1, eos).Hidden, 1e-5);
        AssertClose(_expected["clip_g_last_normed"], _checkpoint.ClipG.Encode(ids, -24, eos).Hidden, 1e-5);
    }

    [Fact]
    public void Adm_vector_takes_the_aesthetic_score_default_of_its_prompt_list()
    {
        using var scope = NewDisposeScope();
        var adm = _checkpoint.Adm;
        Assert.IsType<SdxlRefinerAdm>(adm);
        var pooled = _expected["clip_g_pooled"];
        ConditioningEntry Entry(int row) => new(zeros(1, 77, 16))
        {
            // Sizes as CLIPTextEncodeSDXLRefiner-like extras; no score: the default applies.
            Pooled = new PooledConditioning(pooled.narrow(0, row, 1)) { Width = 1024, Height = 768, CropW = 64, CropH = 32 },
        };
        long[] latent = [1, 4, 8, 16];
        // cos/sin of arguments near 1024 move by 1e-4 with one ulp of a frequency: float32 exp and sin kernels may differ that much.
        AssertClose(_expected["adm"].narrow(0, 0, 1), adm.Encode(Entry(0), latent, negative: false), 1e-4);
        AssertClose(_expected["adm"].narrow(0, 1, 1), adm.Encode(Entry(1), latent, negative: true), 1e-4);
        // The scores really differ: 6.0 for the positive list, 2.5 for the negative.
        Assert.True((adm.Encode(Entry(0), latent, negative: false) - adm.Encode(Entry(0), latent, negative: true)).abs().max().item<float>() > 0.1f);
        Assert.Equal(adm.Width, _expected["adm"].shape[1]);
    }

    [Fact]
    public void Unet_predicts_the_sgm_noise_with_the_adm_vector()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var eps = _checkpoint.Unet.Forward(_expected["unet_x"], _expected["unet_t"], _expected["clip_g_penultimate"], _expected["adm"]);
        AssertClose(_expected["unet_eps"], eps, 1e-4);
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
