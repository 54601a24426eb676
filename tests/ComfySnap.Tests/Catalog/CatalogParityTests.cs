using System.Text.Json.Nodes;
using ComfySnap.Engine.Catalog;
using ComfySnap.Engine.Graph;
using ComfySnap.Engine.Nodes;
using ComfySnap.Engine.Validation;
using ComfySnap.NodeSdk;
using ComfySnap.Tests.Engine.Support;
using ComfySnap.Tests.Support;
using ComfySnap.Worker.Catalog;
using Microsoft.Extensions.DependencyInjection;

namespace ComfySnap.Tests.Catalog;

/// <summary>
/// The catalog a worker publishes, read back as the gateway reads it: the same object_info and the
/// same validation answer as the worker's own validator, for every workflow under workflows/ and
/// the errors the gateway must shape like ComfyUI. No services: the document never leaves the process.
/// </summary>
public sealed class CatalogParityTests : IAsyncLifetime
{
    private const string PresentModel = "present.pth";
    private const string PresentInput = "present.png";
    private EngineHarness _harness = null!;
    private PublishedCatalog _published = null!;

    public static TheoryData<string> Workflows() => new(
        Directory.GetFiles(Path.Combine(TestEnvironment.RepoRoot, "workflows"), "*.json", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(Path.Combine(TestEnvironment.RepoRoot, "workflows"), f))
            .Order(StringComparer.Ordinal));

    public static TheoryData<string, string> Prompts() => new()
    {
        { "return_type_mismatch", """{"1":{"class_type":"EmptyLatentImage","inputs":{"width":64,"height":64,"batch_size":1}},"2":{"class_type":"SaveImage","inputs":{"images":["1",0],"filename_prefix":"x"}} }""" },
        { "model_not_found", """{"1":{"class_type":"UpscaleModelLoader","inputs":{"model_name":"absent.pth"}},"2":{"class_type":"EmptyImage","inputs":{"width":8,"height":8,"batch_size":1,"color":0}},"3":{"class_type":"ImageUpscaleWithModel","inputs":{"upscale_model":["1",0],"image":["2",0]}},"4":{"class_type":"PreviewImage","inputs":{"images":["3",0]}}}""" },
        { "model_present", """{"1":{"class_type":"UpscaleModelLoader","inputs":{"model_name":"present.pth"}},"2":{"class_type":"EmptyImage","inputs":{"width":8,"height":8,"batch_size":1,"color":0}},"3":{"class_type":"ImageUpscaleWithModel","inputs":{"upscale_model":["1",0],"image":["2",0]}},"4":{"class_type":"PreviewImage","inputs":{"images":["3",0]}}}""" },
        { "input_file_present", """{"1":{"class_type":"LoadImage","inputs":{"image":"present.png"}},"2":{"class_type":"PreviewImage","inputs":{"images":["1",0]}}}""" },
        { "input_file_missing", """{"1":{"class_type":"LoadImage","inputs":{"image":"absent.png"}},"2":{"class_type":"PreviewImage","inputs":{"images":["1",0]}}}""" },
        { "input_file_uploaded", """{"1":{"class_type":"LoadImage","inputs":{"image":"uploaded.png"}},"2":{"class_type":"PreviewImage","inputs":{"images":["1",0]}}}""" },
        { "value_not_in_list", """{"1":{"class_type":"EmptyImage","inputs":{"width":8,"height":8,"batch_size":1,"color":0}},"2":{"class_type":"ImageScale","inputs":{"image":["1",0],"upscale_method":"bislerp","width":16,"height":16,"crop":"disabled"}},"3":{"class_type":"PreviewImage","inputs":{"images":["2",0]}}}""" },
        { "size_over_limits", """{"1":{"class_type":"EmptyLatentImage","inputs":{"width":16384,"height":16384,"batch_size":65}},"2":{"class_type":"LatentUpscale","inputs":{"samples":["1",0],"upscale_method":"area","width":16384,"height":8192,"crop":"disabled"}},"3":{"class_type":"SaveLatentStub","inputs":{}}}""" },
        { "steps_over_limit", """{"1":{"class_type":"CheckpointLoaderSimple","inputs":{"ckpt_name":"none.safetensors"}},"2":{"class_type":"EmptyLatentImage","inputs":{"width":64,"height":64,"batch_size":1}},"3":{"class_type":"CLIPTextEncode","inputs":{"clip":["1",1],"text":"x"}},"4":{"class_type":"KSampler","inputs":{"model":["1",0],"positive":["3",0],"negative":["3",0],"latent_image":["2",0],"seed":1,"steps":999,"cfg":7,"sampler_name":"euler","scheduler":"normal","denoise":1}},"5":{"class_type":"VAEDecode","inputs":{"samples":["4",0],"vae":["1",2]}},"6":{"class_type":"SaveImage","inputs":{"images":["5",0],"filename_prefix":"x"}} }""" },
        { "custom_model_kind_present", """{"1":{"class_type":"CustomModelProbe","inputs":{"weights":"custom.pth"}}}""" },
        { "custom_model_kind_missing", """{"1":{"class_type":"CustomModelProbe","inputs":{"weights":"other.pth"}}}""" },
        { "node_pack_node", """{"1":{"class_type":"EmptyImage","inputs":{"width":8,"height":8,"batch_size":1,"color":0}},"2":{"class_type":"ImageGrayscale","inputs":{"image":["1",0]}},"3":{"class_type":"PreviewImage","inputs":{"images":["2",0]}}}""" },
        { "misspelled_node", """{"1":{"class_type":"EmptyImag","inputs":{}},"2":{"class_type":"PreviewImage","inputs":{"images":["1",0]}}}""" },
        { "undeclared_input_warning", """{"1":{"class_type":"EmptyImage","inputs":{"width":8,"height":8,"batch_size":1,"color":0,"is_changed":"x"}},"2":{"class_type":"PreviewImage","inputs":{"images":["1",0]}}}""" },
        { "string_number_literals", """{"1":{"class_type":"EmptyImage","inputs":{"width":"8","height":8.9,"batch_size":1,"color":true}},"2":{"class_type":"PreviewImage","inputs":{"images":["1",0]}}}""" },
        { "literal_for_link", """{"1":{"class_type":"PreviewImage","inputs":{"images":"not a link"}}}""" },
        { "link_to_missing_output", """{"1":{"class_type":"EmptyImage","inputs":{"width":8,"height":8,"batch_size":1,"color":0}},"2":{"class_type":"PreviewImage","inputs":{"images":["1",3]}}}""" },
        { "empty", "{}" },
        { "not_an_object", "[1, 2]" },
    };

    public async Task InitializeAsync()
    {
        _harness = await EngineHarness.StartAsync(root =>
        {
            TestEnvironment.InstallExamplePack(Path.Combine(root, "node_packs"));
            File.WriteAllBytes(Path.Combine(root, "models/upscale_models", PresentModel), [1]);
            File.WriteAllBytes(Path.Combine(root, "input", PresentInput), TestImages.Png(2, 2, (_, _) => (1, 2, 3, 255)));
            Directory.CreateDirectory(Path.Combine(root, "models", CustomModelProbe.Kind));
            File.WriteAllBytes(Path.Combine(root, "models", CustomModelProbe.Kind, "custom.pth"), [3]);
        });
        _harness.Services.GetRequiredService<NodeRegistry>().Register(new CustomModelProbe(), "tests");
        var (id, json, _) = _harness.Services.GetRequiredService<WorkerCatalog>().Build();
        _published = PublishedCatalog.Parse(id, json);
    }

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    [Fact]
    public void Published_object_info_describes_every_node_as_the_worker_does()
    {
        var registry = _harness.Services.GetRequiredService<NodeRegistry>();
        var files = _harness.Services.GetRequiredService<IFileCatalog>();
        var local = ObjectInfoWriter.All(registry, files);
        Assert.True(JsonNode.DeepEquals(local, JsonNode.Parse(_published.ObjectInfoJson)));
        Assert.Contains("ImageGrayscale", _published.Nodes.Select(n => n.ClassType));

        // Read back, each spec describes itself as it was published (nothing lost in the round trip).
        foreach (var node in registry.Nodes)
        {
            var read = _published.Find(node.ClassType)!;
            Assert.True(JsonNode.DeepEquals(ObjectInfoWriter.Describe(node, files), ObjectInfoWriter.Describe(read, _published)), node.ClassType);
            Assert.Equal(node.ImageSize, read.ImageSize);
            Assert.Equal(node.IsOutputNode, read.IsOutputNode);
            Assert.Equal(node.Inputs.Select(i => (i.Name, i.Type, i.Required, i.FileSource, i.ModelKind)), read.Inputs.Select(i => (i.Name, i.Type, i.Required, i.FileSource, i.ModelKind)));
        }

        Assert.Equal([.. files.ModelKinds, CustomModelProbe.Kind], _published.ModelKinds);
        Assert.Equal(["custom.pth"], _published.Models(CustomModelProbe.Kind));
        Assert.Equal([PresentModel], _published.Models("upscale_models"));
        Assert.Equal([PresentInput], _published.InputFiles);
        Assert.Equal(files.InputDirectory, _published.InputDirectory);
        Assert.Contains(_published.Packs, p => p.Name == "ComfySnap.ExamplePack" && p.NodeCount == 2 && p.Error is null);
    }

    [Fact]
    public void A_pinned_model_url_passes_validation_and_an_unpinned_one_is_invalid_model_url_in_worker_and_gateway()
    {
        static string Prompt(string model) => $$$"""
            {"1":{"class_type":"LoadImage","inputs":{"image":"{{{PresentInput}}}"}},
             "2":{"class_type":"UpscaleModelLoader","inputs":{"model_name":"{{{model}}}"}},
             "3":{"class_type":"ImageUpscaleWithModel","inputs":{"upscale_model":["2",0],"image":["1",0]}},
             "4":{"class_type":"SaveImage","inputs":{"images":["3",0],"filename_prefix":"x"}} }
            """;
        var pinned = Prompt($"https://models.example.com/x4.pth#sha256={new string('e', 64)}");
        var unpinned = Prompt("https://models.example.com/x4.pth");

        Assert.True(Validate(_published.Validator, pinned, null).IsValid);
        AssertSameAnswer(pinned);
        var refused = Validate(_published.Validator, unpinned, null);
        Assert.Contains(refused.AllErrors, e => e.Type == ValidationErrorTypes.InvalidModelUrl && e.Message.Contains("#sha256=", StringComparison.Ordinal));
        AssertSameAnswer(unpinned);
    }

    [Theory]
    [MemberData(nameof(Workflows))]
    public void Workflow_files_get_the_same_answer_from_the_published_catalog(string file) =>
        AssertSameAnswer(File.ReadAllText(Path.Combine(TestEnvironment.RepoRoot, "workflows", file)));

    [Theory]
    [MemberData(nameof(Prompts))]
    public void Prompts_get_the_same_answer_from_the_published_catalog(string name, string prompt)
    {
        Assert.NotEmpty(name);
        AssertSameAnswer(prompt);
    }

    [Fact]
    public void The_workers_limits_travel_with_the_catalog()
    {
        Assert.Equal(_harness.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<ComfySnap.Engine.EngineOptions>>().Value.Limits.MaxPixels, _published.Limits.MaxPixels);
        var report = Validate(_published.Validator, EngineHarness.Workflow("invalid/too-large.json"), null);
        Assert.True(report.ExceedsLimits);
    }

    [Fact]
    public void Identical_workers_publish_the_same_id_and_a_new_model_file_changes_it()
    {
        var catalog = _harness.Services.GetRequiredService<WorkerCatalog>();
        var first = catalog.Build();
        Assert.Equal(first.Id, catalog.Build().Id);
        Assert.Equal(first.Id, _published.Id);

        var added = Path.Combine(_harness.ModelsDirectory, "upscale_models", "added.pth");
        File.WriteAllBytes(added, [2]);
        try
        {
            var second = catalog.Build();
            Assert.NotEqual(first.Id, second.Id);
            Assert.Contains("added.pth", PublishedCatalog.Parse(second.Id, second.Json).Models("upscale_models"));
        }
        finally
        {
            File.Delete(added);
        }
    }

    [Fact]
    public void A_document_of_another_schema_is_refused()
    {
        var error = Assert.Throws<System.Text.Json.JsonException>(() => PublishedCatalog.Parse("x", """{"schema": 2, "object_info": {}}"""));
        Assert.Contains("schema", error.Message);
    }

    /// <summary>A node with a model folder of its own, as a node pack may declare.</summary>
    private sealed class CustomModelProbe : ComfyNode
    {
        public const string Kind = "custom_kind";

        public override string ClassType => nameof(CustomModelProbe);

        public override string Category => "tests";

        public override IReadOnlyList<InputSpec> Inputs { get; } = [InputSpec.ModelFile("weights", Kind)];

        public override IReadOnlyList<string> Outputs { get; } = [];

        public override bool IsOutputNode => true;

        public override ValueTask<NodeResult> ExecuteAsync(NodeInputs inputs, NodeContext context, CancellationToken cancellationToken) =>
            throw new NotSupportedException("validation only");
    }

    private void AssertSameAnswer(string prompt)
    {
        var uploaded = new HashSet<string>(StringComparer.Ordinal) { "uploaded.png" };
        var worker = Validate(_harness.Services.GetRequiredService<WorkflowValidator>(), prompt, uploaded, out var workerValid);
        var gateway = Validate(_published.Validator, prompt, uploaded, out var gatewayValid);
        Assert.Equal(ComfyErrorJson.ToJson(worker).ToJsonString(), ComfyErrorJson.ToJson(gateway).ToJsonString());
        Assert.Equal(worker.Warnings, gateway.Warnings);
        Assert.Equal(workerValid?.ExecutionOrder, gatewayValid?.ExecutionOrder);
        Assert.Equal(workerValid?.OutputNodeIds, gatewayValid?.OutputNodeIds);
    }

    private static ValidationReport Validate(WorkflowValidator validator, string prompt, IReadOnlySet<string>? uploaded) =>
        Validate(validator, prompt, uploaded, out _);

    // As the worker's engine and the gateway's PromptValidator do: a parse error is an invalid_prompt report.
    private static ValidationReport Validate(WorkflowValidator validator, string prompt, IReadOnlySet<string>? uploaded, out ValidatedWorkflow? validated)
    {
        validated = null;
        try
        {
            return validator.Validate(WorkflowParser.Parse(prompt), out validated, uploaded);
        }
        catch (WorkflowParseException e)
        {
            return new ValidationReport(new WorkflowError(ValidationErrorTypes.InvalidJson, e.Message, e.Details), new Dictionary<string, NodeErrorReport>(), []);
        }
    }
}
