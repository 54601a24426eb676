using ComfySnap.NodeSdk;
using ComfySnap.Tests.Support;
using ComfySnap.Tests.Upscale.Support;
using ComfySnap.Diffusion.Models;
using ComfySnap.Nodes.Upscale;
using TorchSharp;
using static TorchSharp.torch;

namespace ComfySnap.Tests.Upscale;

/// <summary>The loader node: declaration, one load per model through the store, clear errors.</summary>
public sealed class UpscaleModelLoaderTests : IDisposable
{
    private readonly string directory = TestEnvironment.NewTempDirectory("upload");
    private readonly CountingModelStore store;
    private readonly TestContexts contexts = new();

    public UpscaleModelLoaderTests() => store = new CountingModelStore(UpscaleModelLoader.ModelKind, directory);

    public void Dispose()
    {
        store.Dispose();
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public void Declares_comfyuis_inputs_and_output()
    {
        var node = new UpscaleModelLoader();

        Assert.Equal("UpscaleModelLoader", node.ClassType);
        var input = Assert.Single(node.Inputs);
        Assert.Equal(("model_name", FileSource.Model, "upscale_models"), (input.Name, input.FileSource, input.ModelKind));
        Assert.Equal([ComfyTypes.UpscaleModel], node.Outputs);
    }

    [Fact]
    public async Task Loads_a_model_once_and_shares_it()
    {
        WriteTinyModel("tiny.safetensors");
        var node = new UpscaleModelLoader();

        var first = await Load(node, "tiny.safetensors");
        var second = await Load(node, "tiny.safetensors");

        Assert.Same(first, second);
        Assert.Equal(1, store.LoadCount);
        Assert.Equal(4, first.Scale);
        Assert.Equal(DeviceType.CPU, first.Module.parameters().First().device_type);
        Assert.False(first.Module.training);
    }

    [Fact]
    public async Task The_loaded_model_outlives_the_dispose_scope_it_was_loaded_in()
    {
        WriteTinyModel("scoped.pth", pth: true);
        UpscaleModel model;
        using (NewDisposeScope())
        {
            model = await Load(new UpscaleModelLoader(), "scoped.pth");
        }

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Assert.Equal(new long[] { 1, 3, 8, 8 }, model.Run(rand(1, 3, 2, 2)).shape);
    }

    [Fact]
    public async Task A_file_with_another_key_layout_fails_naming_the_missing_key()
    {
        using (NewDisposeScope())
        {
            CheckpointFiles.WriteSafetensors(directory, "vae.safetensors", new() { ["decoder.conv_in.weight"] = zeros(4, 4, 3, 3) });
        }

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => Load(new UpscaleModelLoader(), "vae.safetensors"));

        Assert.Contains("'conv_first.weight'", error.Message);
        Assert.Equal(0, store.LoadCount);
    }

    private async Task<UpscaleModel> Load(UpscaleModelLoader node, string name)
    {
        var result = await node.ExecuteAsync(new NodeInputs(new Dictionary<string, object?> { ["model_name"] = name }), contexts.Create(store), CancellationToken.None);
        return Assert.IsType<UpscaleModel>(Assert.Single(result.Values));
    }

    private void WriteTinyModel(string name, bool pth = false)
    {
        using var scope = NewDisposeScope();
        var weights = RrdbStateDicts.Random(8, 1, 4, 4, seed: 11);
        if (pth)
        {
            CheckpointFiles.WritePth(directory, name, weights, "params_ema");
        }
        else
        {
            CheckpointFiles.WriteSafetensors(directory, name, weights);
        }
    }
}
