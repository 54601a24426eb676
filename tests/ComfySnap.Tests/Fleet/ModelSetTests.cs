using ComfySnap.Contracts;
using ComfySnap.Engine.Routing;
using ComfySnap.Tests.Engine.Support;
using ComfySnap.Tests.Upscale.Support;

namespace ComfySnap.Tests.Fleet;

/// <summary>The model-set key: stable over order and duplicates, derived from the node specs' model-file inputs.</summary>
public sealed class ModelSetTests
{
    [Fact]
    public void Equal_sets_have_equal_keys_whatever_the_order_and_duplicates()
    {
        var a = ModelSet.Of(["checkpoints/b.safetensors", "loras/x.safetensors", "checkpoints/b.safetensors"])!;
        var b = ModelSet.Of(["loras/x.safetensors", "checkpoints/b.safetensors"])!;

        Assert.Equal(a.Key, b.Key);
        Assert.Equal(["checkpoints/b.safetensors", "loras/x.safetensors"], a.Models);
        Assert.Matches("^ms-[0-9a-f]{16}$", a.Key);
    }

    [Fact]
    public void Kind_name_and_members_all_change_the_key()
    {
        var keys = new[]
        {
            ModelSet.Of(["checkpoints/a.safetensors"])!.Key,
            ModelSet.Of(["vae/a.safetensors"])!.Key,
            ModelSet.Of(["checkpoints/b.safetensors"])!.Key,
            ModelSet.Of(["checkpoints/a.safetensors", "loras/l.safetensors"])!.Key,
        };

        Assert.Equal(keys.Length, keys.Distinct().Count());
    }

    [Fact]
    public void No_models_is_no_set_and_backslashes_are_slashes()
    {
        Assert.Null(ModelSet.Of([]));
        Assert.Equal(ModelSet.Of(["loras/sub/x.safetensors"])!.Key, ModelSet.Of([ModelSet.ModelName("loras", "sub\\x.safetensors")])!.Key);
    }

    [Fact]
    public async Task Derived_from_every_model_file_input_of_the_nodes_that_run()
    {
        await using var harness = await EngineHarness.StartAsync(root =>
        {
            var weights = RrdbStateDicts.Random(numFeat: 4, numBlock: 1, numGrow: 4, scale: 4, seed: 3);
            CheckpointFiles.WritePth(Path.Combine(root, "models/upscale_models"), "a.pth", weights, "params_ema");
            CheckpointFiles.WritePth(Path.Combine(root, "models/upscale_models"), "b.pth", weights, "params_ema");
            RrdbStateDicts.Dispose(weights);
        });
        const string workflow = """
            {"1": {"class_type": "EmptyImage", "inputs": {"width": 8, "height": 8, "batch_size": 1, "color": 0}},
             "2": {"class_type": "UpscaleModelLoader", "inputs": {"model_name": "b.pth"}},
             "3": {"class_type": "ImageUpscaleWithModel", "inputs": {"upscale_model": ["2", 0], "image": ["1", 0]}},
             "4": {"class_type": "UpscaleModelLoader", "inputs": {"model_name": "a.pth"}},
             "5": {"class_type": "ImageUpscaleWithModel", "inputs": {"upscale_model": ["4", 0], "image": ["3", 0]}},
             "6": {"class_type": "SaveImage", "inputs": {"images": ["5", 0], "filename_prefix": "x"}}}
            """;

        var report = harness.Validate(workflow, out var validated);

        Assert.True(report.IsValid, report.Describe());
        var set = WorkflowModelSet.Of(validated!);
        Assert.NotNull(set);
        Assert.Equal(["upscale_models/a.pth", "upscale_models/b.pth"], set.Models);
        Assert.Equal(ModelSet.Of(["upscale_models/b.pth", "upscale_models/a.pth"])!.Key, set.Key);
    }

    [Fact]
    public async Task A_workflow_without_model_files_has_no_set()
    {
        await using var harness = await EngineHarness.StartAsync();

        var report = harness.Validate(EngineHarness.Workflow("image-ops.json"), out var validated);

        Assert.True(report.IsValid, report.Describe());
        Assert.Null(WorkflowModelSet.Of(validated!));
    }
}
