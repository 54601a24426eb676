using ComfySnap.Tests.Engine.Support;
using ComfySnap.Engine.Validation;

namespace ComfySnap.Tests.Engine;

/// <summary>Every file in workflows/invalid gets its own specific error, all problems at once.</summary>
public sealed class InvalidWorkflowTests
{
    [Theory]
    [InlineData("truncated.json", "invalid_prompt", null, null, null)]
    [InlineData("no-output.json", "prompt_no_outputs", null, null, null)]
    [InlineData("unknown-node.json", "prompt_outputs_failed_validation", "2", "missing_node_type", null)]
    [InlineData("cycle.json", "prompt_outputs_failed_validation", "1", "dependency_cycle", null)]
    [InlineData("cycle.json", "prompt_outputs_failed_validation", "2", "dependency_cycle", null)]
    [InlineData("bad-inputs.json", "prompt_outputs_failed_validation", "1", "invalid_input_type", "width")]
    [InlineData("bad-inputs.json", "prompt_outputs_failed_validation", "1", "value_smaller_than_min", "height")]
    [InlineData("bad-inputs.json", "prompt_outputs_failed_validation", "1", "required_input_missing", "color")]
    [InlineData("bad-inputs.json", "prompt_outputs_failed_validation", "2", "bad_linked_input", "image")]
    [InlineData("bad-inputs.json", "prompt_outputs_failed_validation", "2", "value_not_in_list", "upscale_method")]
    [InlineData("bad-inputs.json", "prompt_outputs_failed_validation", "3", "bad_linked_input", "images")]
    [InlineData("path-traversal.json", "prompt_outputs_failed_validation", "1", "path_escapes_folder", "image")]
    [InlineData("path-traversal.json", "prompt_outputs_failed_validation", "2", "path_escapes_folder", "model_name")]
    [InlineData("path-traversal.json", "prompt_outputs_failed_validation", "4", "path_escapes_folder", "filename_prefix")]
    [InlineData("too-large.json", "prompt_outputs_failed_validation", "1", "limit_exceeded", null)]
    public async Task Invalid_workflow_gets_its_specific_error(string file, string topType, string? nodeId, string? errorType, string? inputName)
    {
        await using var harness = await EngineHarness.StartAsync();

        var report = harness.Validate(EngineHarness.Workflow("invalid/" + file), out var workflow);

        Assert.Null(workflow);
        Assert.Equal(topType, report.Error?.Type);
        if (nodeId is not null)
        {
            var errors = report.NodeErrors[nodeId].Errors;
            Assert.Contains(errors, e => e.Type == errorType && (inputName is null || e.InputName == inputName));
        }
    }

    [Fact]
    public async Task Truncated_json_reports_the_position()
    {
        await using var harness = await EngineHarness.StartAsync();

        var report = harness.Validate(EngineHarness.Workflow("invalid/truncated.json"), out _);

        Assert.Contains("line 1, position", report.Error!.Details);
    }

    [Fact]
    public async Task Too_large_is_classified_as_a_limit_and_unknown_model_lists_what_is_available()
    {
        await using var harness = await EngineHarness.StartAsync(root =>
            File.WriteAllBytes(Path.Combine(root, "models/upscale_models/present.pth"), [1]));

        Assert.True(harness.Validate(EngineHarness.Workflow("invalid/too-large.json"), out _).ExceedsLimits);
        var missing = harness.Validate(
            """{"1":{"class_type":"UpscaleModelLoader","inputs":{"model_name":"absent.pth"}},"2":{"class_type":"EmptyImage","inputs":{"width":8,"height":8,"batch_size":1,"color":0}},"3":{"class_type":"ImageUpscaleWithModel","inputs":{"upscale_model":["1",0],"image":["2",0]}},"4":{"class_type":"PreviewImage","inputs":{"images":["3",0]}}}""",
            out _);
        var error = Assert.Single(missing.AllErrors);
        Assert.Equal(ValidationErrorTypes.ModelNotFound, error.Type);
        Assert.Contains("present.pth", error.Details);
        Assert.True(missing.OnlyModelsMissing);
    }

    [Fact]
    public async Task Link_type_mismatch_is_reported()
    {
        await using var harness = await EngineHarness.StartAsync();

        var report = harness.Validate(
            """{"1":{"class_type":"EmptyLatentImage","inputs":{"width":64,"height":64,"batch_size":1}},"2":{"class_type":"SaveImage","inputs":{"images":["1",0],"filename_prefix":"x"}}}""",
            out _);

        Assert.Equal(ValidationErrorTypes.ReturnTypeMismatch, Assert.Single(report.NodeErrors["2"].Errors).Type);
    }

    [Theory]
    [InlineData("https://images.example.com/cat.png?sig=1", null)]
    [InlineData("http://10.0.0.1:8080/cat.png", null)]
    [InlineData("ftp://images.example.com/cat.png", ValidationErrorTypes.ValueNotInList)]
    [InlineData("https:///cat.png", ValidationErrorTypes.ValueNotInList)]
    [InlineData("s3://bucket-1/in/cat.png", null)]
    [InlineData("s3:///cat.png", ValidationErrorTypes.ValueNotInList)]
    public async Task Load_image_accepts_an_http_or_s3_url_by_its_form(string image, string? errorType)
    {
        await using var harness = await EngineHarness.StartAsync();

        // The worker fetches URLs (and applies the network guard) before validating; the gateway validates the form only.
        var report = harness.Validate(
            """{"1":{"class_type":"LoadImage","inputs":{"image":""" + System.Text.Json.JsonSerializer.Serialize(image) + """}},"2":{"class_type":"PreviewImage","inputs":{"images":["1",0]}}}""",
            out _);

        Assert.Equal(errorType, report.NodeErrors.GetValueOrDefault("1")?.Errors.Single().Type);
    }

    [Fact]
    public async Task Undeclared_inputs_are_ignored_with_a_warning()
    {
        await using var harness = await EngineHarness.StartAsync();

        var report = harness.Validate(
            """{"1":{"class_type":"EmptyImage","inputs":{"width":8,"height":8,"batch_size":1,"color":0,"is_changed":"x"}},"2":{"class_type":"PreviewImage","inputs":{"images":["1",0]}}}""",
            out var workflow);

        Assert.True(report.IsValid);
        Assert.NotNull(workflow);
        Assert.Contains(report.Warnings, w => w.Contains("is_changed"));
    }

    [Fact]
    public async Task Node_count_limit_is_configurable()
    {
        await using var harness = await EngineHarness.StartAsync(settings: new Dictionary<string, string?> { ["Engine:Limits:MaxNodes"] = "3" });

        var report = harness.Validate(EngineHarness.Workflow("image-ops.json"), out _);

        Assert.Equal(ValidationErrorTypes.LimitExceeded, report.Error?.Type);
    }
}
