using System.Text.Json.Nodes;
using ComfySnap.Diffusion.Imaging;
using ComfySnap.Diffusion.Models;
using ComfySnap.Diffusion.Models.StableDiffusion;
using ComfySnap.Diffusion.Models.StableDiffusion.Generation;
using ComfySnap.Diffusion.Models.StableDiffusion.Sdxl;
using ComfySnap.Tests.Engine.Support;
using ComfySnap.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using static TorchSharp.torch;

namespace ComfySnap.Tests.Examples;

/// <summary>
/// The shipped SDXL graphs (workflows/sdxl/sdxl-base.json and sdxl-base-refiner.json) on random-weight
/// stand-ins under the names they load (make-checkpoint sdxl-tiny and sdxl-refiner-tiny), both
/// preloaded and warmed up at boot as Models:Preload lists them, with converted weights mapped from
/// a side file. Graphs are run as shipped but at 64x64 with fewer steps.
/// </summary>
public sealed class SdxlWorkflowExampleTests : IAsyncLifetime
{
    private const string Base = "sd_xl_base_1.0.safetensors";
    private const string Refiner = "sd_xl_refiner_1.0.safetensors";
    private readonly string _models = TestEnvironment.NewTempDirectory("sdxl-examples");
    private EngineHarness _engine = null!;

    public async Task InitializeAsync()
    {
        RandomCheckpoint.Write(SdxlCheckpointPreset.Tiny, Path.Combine(_models, "checkpoints", Base), "fp32");
        RandomCheckpoint.Write(SdxlCheckpointPreset.RefinerTiny, Path.Combine(_models, "checkpoints", Refiner), "fp16");
        _engine = await EngineHarness.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Models:Roots:checkpoints"] = Path.Combine(_models, "checkpoints"),
            ["Models:ConvertedDirectory"] = Path.Combine(_models, ".converted"),
            ["Models:Preload:0"] = "checkpoints/" + Base,
            ["Models:Preload:1"] = "checkpoints/" + Refiner,
            ["Engine:NodeCacheBytes"] = "0",
        });
    }

    [Fact]
    public async Task Both_checkpoints_are_preloaded_warmed_up_and_mapped_with_converted_side_files()
    {
        Assert.Contains(_engine.BootPhases, p => p.Name == "warm-up " + Base);
        Assert.Contains(_engine.BootPhases, p => p.Name == "warm-up " + Refiner);
        var store = _engine.Services.GetRequiredService<ModelStore>();
        var baseModel = await store.LoadAsync<LoadedSdxlCheckpoint>("checkpoints", Base, CancellationToken.None);
        var refiner = await store.LoadAsync<LoadedSdxlCheckpoint>("checkpoints", Refiner, CancellationToken.None);
        Assert.Equal(CheckpointFamily.SdxlBase, baseModel.Checkpoint.Family);
        Assert.Equal(CheckpointFamily.SdxlRefiner, refiner.Checkpoint.Family);
        foreach (var loaded in new[] { baseModel, refiner })
        {
            // The checkpoint and its side file of converted weights: shared through the page cache.
            Assert.Equal(2, loaded.MappedFiles.Count);
            Assert.Null(loaded.Checkpoint.ConversionNote);
            Assert.All(loaded.Checkpoint.Weights.Values.Where(t => t.is_floating_point()), t => Assert.Equal(ScalarType.Float32, t.dtype));
        }
    }

    [Fact]
    public async Task Sdxl_base_graph_renders_an_image()
    {
        var graph = JsonNode.Parse(EngineHarness.Workflow("sdxl/sdxl-base.json"))!;
        Shrink(graph["5"]!);
        graph["3"]!["inputs"]!["steps"] = 4;
        var image = await RenderAsync(graph);
        Assert.True(image.std().item<float>() > 0.02f, "a flat image");
    }

    [Fact]
    public async Task Base_plus_refiner_graph_hands_the_noisy_latent_to_the_refiner()
    {
        var graph = JsonNode.Parse(EngineHarness.Workflow("sdxl/sdxl-base-refiner.json"))!;
        Shrink(graph["5"]!);
        foreach (var sampler in new[] { "10", "11" })
        {
            graph[sampler]!["inputs"]!["steps"] = 5;
        }

        graph["10"]!["inputs"]!["end_at_step"] = 3;
        graph["11"]!["inputs"]!["start_at_step"] = 3;
        var refined = await RenderAsync(graph);
        Assert.True(refined.std().item<float>() > 0.02f, "a flat image");

        // The refiner really finished it: the same graph with the base model in the second stage differs.
        graph["11"]!["inputs"]!["model"] = new JsonArray("4", 0);
        graph["11"]!["inputs"]!["positive"] = new JsonArray("6", 0);
        graph["11"]!["inputs"]!["negative"] = new JsonArray("7", 0);
        var baseOnly = await RenderAsync(graph);
        var difference = (refined - baseOnly).abs().max().item<float>();
        Assert.True(difference > 0.02f, $"max difference {difference}");
    }

    public async Task DisposeAsync()
    {
        await _engine.DisposeAsync();
        Directory.Delete(_models, recursive: true);
    }

    private static void Shrink(JsonNode latent)
    {
        latent["inputs"]!["width"] = 64;
        latent["inputs"]!["height"] = 64;
    }

    private async Task<Tensor> RenderAsync(JsonNode graph)
    {
        var result = await _engine.RunAsync(graph.ToJsonString());
        var png = Assert.Single(result.Outputs).Artifact;
        var image = PngCodec.Decode(png.Bytes.ToArray(), CPU);
        Assert.Equal([64L, 64L, 3L], image.shape[^3..]);
        return image;
    }
}
