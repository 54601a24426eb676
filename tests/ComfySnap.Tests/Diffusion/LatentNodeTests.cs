using ComfySnap.NodeSdk;
using ComfySnap.Tests.Diffusion.Support;
using ComfySnap.Diffusion.Models;
using ComfySnap.Diffusion.Models.StableDiffusion;
using ComfySnap.Nodes.Latents;
using Microsoft.Extensions.DependencyInjection;
using ComfySnap.Diffusion.Imaging;
using static TorchSharp.torch;

namespace ComfySnap.Tests.Diffusion;

/// <summary>The latent and VAE nodes beyond the golden cases: tiled coding, upscaling, inpainting masks.</summary>
public sealed class LatentNodeTests(SdEngineFixture sd) : IClassFixture<SdEngineFixture>
{
    private static string Graph(string body) => $$$"""
        {"4":{"class_type":"CheckpointLoaderSimple","inputs":{"ckpt_name":"{{{TinyCheckpointFixture.FileName}}}"}},
         "6":{"class_type":"CLIPTextEncode","inputs":{"clip":["4",1],"text":"a red cat"}},
         "7":{"class_type":"CLIPTextEncode","inputs":{"clip":["4",1],"text":""}},
         {{{body}}}}
        """;

    [Fact]
    public async Task Tiled_decode_and_encode_agree_with_the_plain_nodes_when_one_tile_covers_the_image()
    {
        var result = await sd.Engine.RunAsync(Graph("""
            "5":{"class_type":"EmptyLatentImage","inputs":{"width":64,"height":64,"batch_size":1}},
            "3":{"class_type":"KSampler","inputs":{"model":["4",0],"seed":3,"steps":2,"cfg":5.0,"sampler_name":"euler","scheduler":"normal","positive":["6",0],"negative":["7",0],"latent_image":["5",0],"denoise":1.0}},
            "8":{"class_type":"VAEDecode","inputs":{"samples":["3",0],"vae":["4",2]}},
            "10":{"class_type":"VAEDecodeTiled","inputs":{"samples":["3",0],"vae":["4",2],"tile_size":512,"overlap":64}},
            "11":{"class_type":"VAEEncode","inputs":{"pixels":["8",0],"vae":["4",2]}},
            "12":{"class_type":"VAEEncodeTiled","inputs":{"pixels":["8",0],"vae":["4",2],"tile_size":512,"overlap":64}},
            "13":{"class_type":"VAEDecode","inputs":{"samples":["11",0],"vae":["4",2]}},
            "14":{"class_type":"VAEDecode","inputs":{"samples":["12",0],"vae":["4",2]}},
            "9":{"class_type":"SaveImage","inputs":{"images":["8",0],"filename_prefix":"plain"}},
            "15":{"class_type":"SaveImage","inputs":{"images":["10",0],"filename_prefix":"tiled"}},
            "16":{"class_type":"SaveImage","inputs":{"images":["13",0],"filename_prefix":"reencoded"}},
            "17":{"class_type":"SaveImage","inputs":{"images":["14",0],"filename_prefix":"reencoded-tiled"}}
            """));

        byte[] Png(string node) => result.Outputs.Single(o => o.NodeId == node).Artifact.Bytes.ToArray();
        Assert.Equal(0, PixelComparison.Compare(Png("9"), Png("15")).Max);
        Assert.True(PixelComparison.Compare(Png("16"), Png("17")).Max <= 1);
    }

    [Fact]
    public async Task Tiled_decode_of_a_large_latent_stays_close_to_the_plain_decode()
    {
        var result = await sd.Engine.RunAsync(Graph("""
            "5":{"class_type":"EmptyLatentImage","inputs":{"width":192,"height":128,"batch_size":1}},
            "3":{"class_type":"KSampler","inputs":{"model":["4",0],"seed":4,"steps":2,"cfg":5.0,"sampler_name":"euler","scheduler":"normal","positive":["6",0],"negative":["7",0],"latent_image":["5",0],"denoise":1.0}},
            "8":{"class_type":"VAEDecode","inputs":{"samples":["3",0],"vae":["4",2]}},
            "10":{"class_type":"VAEDecodeTiled","inputs":{"samples":["3",0],"vae":["4",2],"tile_size":64,"overlap":32}},
            "9":{"class_type":"SaveImage","inputs":{"images":["8",0],"filename_prefix":"plain"}},
            "15":{"class_type":"SaveImage","inputs":{"images":["10",0],"filename_prefix":"tiled"}}
            """));

        var (_, mean) = PixelComparison.Compare(result.Outputs.Single(o => o.NodeId == "9").Artifact.Bytes.ToArray(), result.Outputs.Single(o => o.NodeId == "15").Artifact.Bytes.ToArray());
        Assert.InRange(mean, 0, 12); // seams blend; random weights make the decoder very local
    }

    [Fact]
    public async Task Latent_upscale_by_doubles_the_rendered_size_and_upscale_to_zero_keeps_the_aspect()
    {
        var result = await sd.Engine.RunAsync(Graph("""
            "5":{"class_type":"EmptyLatentImage","inputs":{"width":64,"height":32,"batch_size":1}},
            "20":{"class_type":"LatentUpscaleBy","inputs":{"samples":["5",0],"upscale_method":"bilinear","scale_by":2.0}},
            "21":{"class_type":"LatentUpscale","inputs":{"samples":["5",0],"upscale_method":"nearest-exact","width":256,"height":0,"crop":"disabled"}},
            "8":{"class_type":"VAEDecode","inputs":{"samples":["20",0],"vae":["4",2]}},
            "10":{"class_type":"VAEDecode","inputs":{"samples":["21",0],"vae":["4",2]}},
            "9":{"class_type":"SaveImage","inputs":{"images":["8",0],"filename_prefix":"by"}},
            "15":{"class_type":"SaveImage","inputs":{"images":["10",0],"filename_prefix":"to"}}
            """));

        long[] Shape(string node) => PngCodec.Decode(result.Outputs.Single(o => o.NodeId == node).Artifact.Bytes.ToArray(), CPU).shape;
        Assert.Equal([64L, 128L, 3L], Shape("9"));
        Assert.Equal([128L, 256L, 3L], Shape("15"));
    }

    [Fact]
    public async Task Sampling_with_a_noise_mask_keeps_the_latent_where_the_mask_is_zero()
    {
        var store = sd.Engine.Services.GetRequiredService<ModelStore>();
        var checkpoint = await store.LoadAsync<LoadedCheckpoint>("checkpoints", TinyCheckpointFixture.FileName, CancellationToken.None);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var source = randn(1, 4, 8, 8, generator: new Generator(11));
        var mask = zeros(1, 1, 64, 64);
        mask.narrow(3, 0, 32).fill_(1); // repaint the left half
        var positive = new Conditioning([new ConditioningEntry(ClipTextEncoding.Encode(checkpoint.Clip, "a red cat"))]);
        var negative = new Conditioning([new ConditioningEntry(ClipTextEncoding.Encode(checkpoint.Clip, ""))]);

        var result = KSamplerRun.Sample(checkpoint.Model, positive, negative, new Latent(source, mask), new KSamplerSettings(5, 4, 6.0, "euler", "karras"), (_, _) => { }, CancellationToken.None);

        var diff = (result.Samples - source).abs();
        Assert.True(diff.narrow(3, 4, 4).max().item<float>() < 1e-4f, "kept half changed");
        Assert.True(diff.narrow(3, 0, 4).mean().item<float>() > 0.1f, "masked half was not resampled");
        Assert.NotNull(result.NoiseMask); // the mask travels on with the latent, as in ComfyUI
    }

    [Fact]
    public async Task Encode_for_inpaint_greys_the_masked_pixels_and_grows_the_mask()
    {
        var node = new VAEEncodeForInpaint();
        var store = sd.Engine.Services.GetRequiredService<ModelStore>();
        var checkpoint = await store.LoadAsync<LoadedCheckpoint>("checkpoints", TinyCheckpointFixture.FileName, CancellationToken.None);
        using var scope2 = NewDisposeScope();
        var pixels = full(1, 64, 64, 3, 0.9f);
        var mask = zeros(1, 64, 64);
        mask.narrow(2, 0, 32).fill_(1);
        var context = new NodeContext("1", store, sd.Engine.Services.GetRequiredService<IWorkspace>(), sd.Engine.Services.GetRequiredService<IDeviceService>(), (_, _) => { }, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        var values = new Dictionary<string, object?> { ["pixels"] = pixels, ["vae"] = checkpoint.Checkpoint.Vae, ["mask"] = mask, ["grow_mask_by"] = 6L };

        var latent = (Latent)(await node.ExecuteAsync(new NodeInputs(values), context, CancellationToken.None)).Values[0]!;

        var grey = pixels.clone();
        grey.narrow(2, 0, 32).fill_(0.5f);
        using var expected = VaeImages.Encode(checkpoint.Checkpoint.Vae, grey, CancellationToken.None);
        Assert.True((latent.Samples - expected).abs().max().item<float>() < 1e-5f);
        Assert.Equal([1L, 1L, 64L, 64L], latent.NoiseMask!.shape);
        Assert.Equal(1f, latent.NoiseMask[0, 0, 10, 33].item<float>()); // grown 3 pixels past the edge
        Assert.Equal(0f, latent.NoiseMask[0, 0, 10, 40].item<float>());
    }
}
