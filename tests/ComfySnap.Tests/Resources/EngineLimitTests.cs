using System.Text.Json.Nodes;
using ComfySnap.Tests.Engine.Support;
using ComfySnap.Engine.Validation;

namespace ComfySnap.Tests.Resources;

/// <summary>
/// Issue 12: a workflow at each engine limit (default Engine:Limits) passes that check and one past
/// it is refused by validation, which runs before anything executes: nothing is allocated for it.
/// </summary>
public sealed class EngineLimitTests
{
    [Theory]
    [InlineData(4096, 4096, 1, true)]      // MaxPixels 16,777,216 exactly
    [InlineData(4096, 4097, 1, false)]     // one row past MaxPixels
    [InlineData(16384, 1024, 1, true)]     // MaxSide 16384, and MaxPixels exactly
    [InlineData(16385, 1, 1, false)]       // one past MaxSide
    [InlineData(64, 64, 64, true)]         // MaxBatchSize 64
    [InlineData(64, 64, 65, false)]        // one past MaxBatchSize
    public async Task Image_size_and_batch_at_the_limit_validate_and_one_past_is_refused(int width, int height, int batch, bool valid)
    {
        await using var harness = await EngineHarness.StartAsync();
        foreach (var node in new[] { "EmptyImage", "EmptyLatentImage" })
        {
            var workflow = node == "EmptyImage"
                ? $$$$$"""{"1":{"class_type":"EmptyImage","inputs":{"width":{{{{{width}}}}},"height":{{{{{height}}}}},"batch_size":{{{{{batch}}}}},"color":0}},"2":{"class_type":"PreviewImage","inputs":{"images":["1",0]}}}"""
                : $$$$$"""{"1":{"class_type":"EmptyLatentImage","inputs":{"width":{{{{{width}}}}},"height":{{{{{height}}}}},"batch_size":{{{{{batch}}}}}}},"2":{"class_type":"LatentUpscaleBy","inputs":{"samples":["1",0],"upscale_method":"nearest-exact","scale_by":1.0}},"3":{"class_type":"PreviewImage","inputs":{"images":["4",0]}},"4":{"class_type":"EmptyImage","inputs":{"width":8,"height":8,"batch_size":1,"color":0}}}""";

            var report = harness.Validate(workflow, out var validated);

            var limitErrors = report.NodeErrors.GetValueOrDefault("1")?.Errors.Where(e => e.Type == ValidationErrorTypes.LimitExceeded).ToList() ?? [];
            if (valid)
            {
                Assert.Empty(limitErrors);
                Assert.True(node != "EmptyImage" || validated is not null, report.Describe());
            }
            else
            {
                Assert.Null(validated);
                Assert.True(report.ExceedsLimits, report.Describe());
                Assert.NotEmpty(limitErrors);
            }
        }
    }

    [Theory]
    [InlineData(500, true)]
    [InlineData(501, false)]
    public async Task Node_count_at_the_limit_validates_and_one_past_is_refused(int nodes, bool valid)
    {
        await using var harness = await EngineHarness.StartAsync();
        var workflow = new JsonObject { ["0"] = Node("EmptyImage", new JsonObject { ["width"] = 8, ["height"] = 8, ["batch_size"] = 1, ["color"] = 0 }) };
        for (var i = 1; i < nodes - 1; i++)
        {
            workflow[$"{i}"] = Node("ImageInvert", new JsonObject { ["image"] = new JsonArray($"{i - 1}", 0) });
        }

        workflow["out"] = Node("PreviewImage", new JsonObject { ["images"] = new JsonArray($"{nodes - 2}", 0) });

        var report = harness.Validate(workflow.ToJsonString(), out var validated);

        Assert.Equal(valid, validated is not null);
        Assert.Equal(!valid, report.ExceedsLimits);
        if (!valid)
        {
            Assert.Equal(ValidationErrorTypes.LimitExceeded, report.Error!.Type);
            Assert.Contains("501", report.Error.Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(200, false)]
    [InlineData(201, true)]
    public async Task Steps_at_the_limit_pass_the_step_check_and_one_past_is_refused(int steps, bool refused)
    {
        await using var harness = await EngineHarness.StartAsync();
        foreach (var sampler in new[] { "KSampler", "KSamplerAdvanced" })
        {
            var workflow = EngineHarness.Workflow("default-txt2img.json").Replace("\"steps\": 20", $"\"steps\": {steps}", StringComparison.Ordinal);
            if (sampler == "KSamplerAdvanced")
            {
                var json = JsonNode.Parse(workflow)!.AsObject();
                json["3"] = Node("KSamplerAdvanced", new JsonObject
                {
                    ["model"] = new JsonArray("4", 0), ["add_noise"] = "enable", ["noise_seed"] = 1, ["steps"] = steps, ["cfg"] = 8.0,
                    ["sampler_name"] = "euler", ["scheduler"] = "normal", ["positive"] = new JsonArray("6", 0), ["negative"] = new JsonArray("7", 0),
                    ["latent_image"] = new JsonArray("5", 0), ["start_at_step"] = 0, ["end_at_step"] = 10000, ["return_with_leftover_noise"] = "disable",
                });
                workflow = json.ToJsonString();
            }

            Assert.Contains($"{steps}", workflow, StringComparison.Ordinal);

            // No checkpoint here: the loader fails with model_not_found; the sampler's step check runs regardless.
            var report = harness.Validate(workflow, out var validated);

            Assert.Null(validated);
            var stepErrors = (report.NodeErrors.GetValueOrDefault("3")?.Errors ?? []).Where(e => e is { Type: ValidationErrorTypes.LimitExceeded, InputName: "steps" }).ToList();
            Assert.Equal(refused, stepErrors.Count == 1);
            Assert.Equal(refused, report.ExceedsLimits);
        }
    }

    private static JsonObject Node(string classType, JsonObject inputs) => new() { ["class_type"] = classType, ["inputs"] = inputs };
}
