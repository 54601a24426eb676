using ComfySnap.Tests.Engine.Support;
using ComfySnap.Engine.Execution;
using ComfySnap.Engine.Validation;

namespace ComfySnap.Tests.Fuzz;

/// <summary>Regression tests for what the workflow fuzzer found (issue 12), one per bug.</summary>
public sealed class FuzzFindingTests
{
    [Theory]
    [InlineData("""{"":{"class_type":"EmptyImage","inputs":{}}}""", "empty")]
    [InlineData("""{"a":{"class_type":"EmptyImage","inputs":{}},"A":{"class_type":"PreviewImage","inputs":{}}}""", "used twice")]
    public async Task Node_ids_that_WorkflowFailed_could_not_carry_are_refused_as_invalid_json(string workflow, string reason)
    {
        // An empty id or two ids equal ignoring case made WorkflowFailed undeliverable to MassTransit consumers (lost answer).
        await using var harness = await EngineHarness.StartAsync();

        var report = harness.Validate(workflow, out _);

        Assert.Equal(ValidationErrorTypes.InvalidJson, report.Error!.Type);
        Assert.Contains(reason, report.Error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_undeclared_input_linking_to_a_missing_node_is_ignored_by_the_node_cache_signature()
    {
        // Validation ignores undeclared inputs (with a warning); the node signature looked their links up and threw KeyNotFound.
        await using var harness = await EngineHarness.StartAsync();

        var result = await harness.RunAsync("""{"1":{"class_type":"EmptyImage","inputs":{"width":8,"height":8,"batch_size":1,"color":0}},"2":{"class_type":"ImageInvert","inputs":{"image":["1",0],"extra":["999",0]}},"3":{"class_type":"PreviewImage","inputs":{"images":["2",0]}}}""");

        Assert.Single(result.Outputs);
    }

    [Fact]
    public async Task An_overlong_filename_prefix_is_refused_at_validation()
    {
        // Was PathTooLongException from the file system at run time.
        await using var harness = await EngineHarness.StartAsync();
        var prefix = new string('A', 300);

        var report = harness.Validate($$$$$"""{"1":{"class_type":"EmptyImage","inputs":{"width":8,"height":8,"batch_size":1,"color":0}},"2":{"class_type":"SaveImage","inputs":{"images":["1",0],"filename_prefix":"{{{{{prefix}}}}}"}}}""", out _);

        Assert.Equal(ValidationErrorTypes.FileNameTooLong, Assert.Single(report.NodeErrors["2"].Errors).Type);
    }

    [Fact]
    public async Task A_center_crop_to_an_extreme_aspect_keeps_one_pixel_instead_of_failing_in_libtorch()
    {
        // ImageBatch resizes image2 to image1's size with crop "center": 12x10 to 8x201 cropped the width to 0.
        await using var harness = await EngineHarness.StartAsync();

        var result = await harness.RunAsync("""{"1":{"class_type":"EmptyImage","inputs":{"width":8,"height":201,"batch_size":1,"color":0}},"2":{"class_type":"EmptyImage","inputs":{"width":12,"height":10,"batch_size":1,"color":16777215}},"3":{"class_type":"ImageBatch","inputs":{"image1":["1",0],"image2":["2",0]}},"4":{"class_type":"PreviewImage","inputs":{"images":["3",0]}}}""");

        Assert.Equal(2, result.Outputs.Count);
    }

    [Theory]
    [InlineData("""{"1":{"class_type":"EmptyImage","inputs":{"width":256,"height":256,"batch_size":1,"color":0}},"2":{"class_type":"ImageScaleBy","inputs":{"image":["1",0],"upscale_method":"nearest-exact","scale_by":2.0}},"3":{"class_type":"PreviewImage","inputs":{"images":["2",0]}}}""")]
    [InlineData("""{"1":{"class_type":"EmptyImage","inputs":{"width":8,"height":8,"batch_size":3,"color":0}},"2":{"class_type":"ImageBatch","inputs":{"image1":["1",0],"image2":["1",0]}},"3":{"class_type":"PreviewImage","inputs":{"images":["2",0]}}}""")]
    public async Task Sizes_known_only_at_run_time_are_checked_against_the_limits_before_allocating(string workflow)
    {
        // Validation sees literals only; a 256x256 image scaled by 2 (or a batch of 3+3) passed limits of 65,536 pixels (batch 4).
        await using var harness = await EngineHarness.StartAsync(settings: new Dictionary<string, string?> { ["Engine:Limits:MaxPixels"] = "65536", ["Engine:Limits:MaxBatchSize"] = "4" });

        var error = await Assert.ThrowsAsync<NodeExecutionException>(() => harness.RunAsync(workflow));

        Assert.IsType<NodeSdk.LimitExceededException>(error.InnerException);
        Assert.Equal("2", error.NodeId);
    }
}
