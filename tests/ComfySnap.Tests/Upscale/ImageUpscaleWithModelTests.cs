using ComfySnap.NodeSdk;
using ComfySnap.Tests.Support;
using ComfySnap.Tests.Upscale.Support;
using ComfySnap.Diffusion.Models;
using ComfySnap.Diffusion.Models.Esrgan;
using ComfySnap.Nodes.Upscale;
using TorchSharp;
using static TorchSharp.torch;

namespace ComfySnap.Tests.Upscale;

/// <summary>The upscale node: IMAGE layout, clamping, tiling, progress, cancellation, checkpoint formats.</summary>
public sealed class ImageUpscaleWithModelTests : IDisposable
{
    private readonly string directory = TestEnvironment.NewTempDirectory("upscale");
    private readonly TestContexts contexts = new();
    private readonly CountingModelStore store;

    public ImageUpscaleWithModelTests() => store = new CountingModelStore(UpscaleModelLoader.ModelKind, directory);

    public void Dispose()
    {
        store.Dispose();
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public void Declares_comfyuis_inputs_and_output()
    {
        var node = new ImageUpscaleWithModel();

        Assert.Equal("ImageUpscaleWithModel", node.ClassType);
        Assert.Equal([("upscale_model", ComfyTypes.UpscaleModel), ("image", ComfyTypes.Image)], node.Inputs.Select(i => (i.Name, i.Type)));
        Assert.Equal([ComfyTypes.Image], node.Outputs);
    }

    [Fact]
    public async Task Output_is_an_image_four_times_larger_clamped_to_0_1()
    {
        using var scope = NewDisposeScope();
        var dict = RrdbStateDicts.Zeros(8, 1, 4, 4);
        dict["conv_last.bias"] = tensor(new[] { 1.5f, 0.4f, -0.3f });
        using var model = FromDict(dict);

        var output = await Upscale(new ImageUpscaleWithModel(), model, rand(2, 5, 7, 3));

        Assert.Equal(new long[] { 2, 20, 28, 3 }, output.shape);
        Assert.Equal(DeviceType.CPU, output.device_type);
        var pixels = output.reshape(-1, 3);
        TensorAssert.Identical(tensor(new[] { 1f, 0.4f, 0f }).expand(pixels.shape), pixels);
    }

    [Fact]
    public async Task Tiled_run_matches_a_single_tile_run_and_reports_each_tile()
    {
        using var scope = NewDisposeScope();
        using var model = FromDict(RrdbStateDicts.RandomPointwise(8, 2, 4, seed: 21));
        var image = rand(1, 37, 45, 3);

        var whole = await Upscale(new ImageUpscaleWithModel(), model, image);
        Assert.Equal([(1, 1)], contexts.Progress);
        contexts.Progress.Clear();
        var tiled = await Upscale(new ImageUpscaleWithModel(tile: 16, overlap: 4), model, image);

        Assert.True(whole.std().item<float>() > 0.01f, "the test model should not be constant");
        Assert.True(tiled.allclose(whole, rtol: 0, atol: 1e-5), $"max diff {(tiled - whole).abs().max().item<float>()}");
        var total = TiledScale.CountTiles(1, 37, 45, 16, 4);
        Assert.Equal(Enumerable.Range(1, total).Select(s => (s, total)), contexts.Progress);
    }

    [Fact]
    public async Task Cancelling_between_tiles_stops_the_run_and_releases_the_model()
    {
        using var scope = NewDisposeScope();
        using var model = FromDict(RrdbStateDicts.Random(8, 1, 4, 4, seed: 2));
        using var cts = new CancellationTokenSource();
        contexts.OnProgress = (_, _) => cts.Cancel();
        var node = new ImageUpscaleWithModel(tile: 16, overlap: 4);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Upscale(node, model, rand(1, 40, 40, 3), cts.Token));

        Assert.Single(contexts.Progress);
        Assert.Equal(1, model.DeviceLock.CurrentCount);
    }

    [Fact]
    public async Task An_image_with_the_wrong_channel_count_is_refused()
    {
        using var scope = NewDisposeScope();
        using var model = FromDict(RrdbStateDicts.Zeros(8, 1, 4, 4));

        var error = await Assert.ThrowsAsync<ArgumentException>(() => Upscale(new ImageUpscaleWithModel(), model, rand(1, 8, 8, 4)));

        Assert.Contains("[1,8,8,4]", error.Message);
    }

    [Fact]
    public async Task Safetensors_and_pth_of_the_same_weights_give_identical_images()
    {
        using (NewDisposeScope())
        {
            var weights = RrdbStateDicts.Random(8, 2, 4, 4, seed: 99);
            CheckpointFiles.WriteSafetensors(directory, "same.safetensors", weights);
            CheckpointFiles.WritePth(directory, "same.pth", weights, "params_ema");
        }

        using var scope = NewDisposeScope();
        var loader = new UpscaleModelLoader();
        var fromSafetensors = await LoadNode(loader, "same.safetensors");
        var fromPth = await LoadNode(loader, "same.pth");
        var image = rand(2, 9, 11, 3);

        var a = await Upscale(new ImageUpscaleWithModel(), fromSafetensors, image);
        var b = await Upscale(new ImageUpscaleWithModel(), fromPth, image);

        Assert.NotSame(fromSafetensors, fromPth);
        Assert.True(a.std().item<float>() > 1e-4f, "the test model should not be constant");
        TensorAssert.Identical(a, b);
    }

    private static UpscaleModel FromDict(Dictionary<string, Tensor> dict)
    {
        using var stateDict = new StateDict(dict);
        return EsrganLoader.FromStateDict(stateDict);
    }

    private async Task<UpscaleModel> LoadNode(UpscaleModelLoader loader, string name)
    {
        var result = await loader.ExecuteAsync(new NodeInputs(new Dictionary<string, object?> { ["model_name"] = name }), contexts.Create(store), CancellationToken.None);
        return (UpscaleModel)result.Values[0]!;
    }

    private async Task<Tensor> Upscale(ImageUpscaleWithModel node, UpscaleModel model, Tensor image, CancellationToken cancellationToken = default)
    {
        var inputs = new NodeInputs(new Dictionary<string, object?> { ["upscale_model"] = model, ["image"] = image });
        var result = await node.ExecuteAsync(inputs, contexts.Create(store), cancellationToken);
        return Assert.IsType<Tensor>(Assert.Single(result.Values), exactMatch: false);
    }
}
