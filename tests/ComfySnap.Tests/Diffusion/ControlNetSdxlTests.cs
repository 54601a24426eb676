using System.Text.Json.Nodes;
using ComfySnap.Diffusion.Models;
using ComfySnap.Diffusion.Models.StableDiffusion.ControlNet;
using ComfySnap.Diffusion.Models.StableDiffusion.Generation;
using ComfySnap.Tests.Diffusion.Support;
using ComfySnap.Tests.Engine.Support;
using static TorchSharp.torch;

namespace ComfySnap.Tests.Diffusion;

/// <summary>
/// SDXL ControlNets as they are published, in diffusers' layout: controlnet-sdxl-tiny (for
/// sdxl-tiny's UNet) loads with the UNet's per-level sizes and adm input, reads the same in the
/// original layout, and in a workflow changes the image (strength 0 leaves it as without).
/// </summary>
public sealed class ControlNetSdxlTests : IAsyncLifetime, IDisposable
{
    private const string Net = "controlnet-sdxl-tiny.safetensors";
    private readonly SdxlTinyCheckpointFixture _checkpoint = new();
    private readonly string _controlNets;
    private readonly Xunit.Abstractions.ITestOutputHelper _output;
    private EngineHarness _engine = null!;

    public ControlNetSdxlTests(Xunit.Abstractions.ITestOutputHelper output)
    {
        _output = output;
        _controlNets = Path.Combine(_checkpoint.ModelsDirectory, "controlnet");
        RandomControlNet.Write(ControlNetPreset.SdxlTiny, Path.Combine(_controlNets, Net));
    }

    public async Task InitializeAsync() =>
        _engine = await EngineHarness.StartAsync(
            root => File.Copy(Path.Combine(ControlNetFixture.FixtureDirectory, "inputs", "control-ring-64.png"), Path.Combine(root, "input", "control-ring-64.png")),
            new Dictionary<string, string?>
            {
                ["Models:Roots:checkpoints"] = Path.GetDirectoryName(_checkpoint.Path),
                ["Models:Roots:controlnet"] = _controlNets,
                ["Engine:NodeCacheBytes"] = "0",
            });

    [Fact]
    public void Controlnet_sdxl_tiny_is_written_in_diffusers_layout_and_loads_with_the_sdxl_unets_sizes()
    {
        var layout = RandomControlNet.Layout(ControlNetPreset.SdxlTiny).Select(r => r.Key).ToHashSet();
        Assert.Contains("controlnet_cond_embedding.conv_in.weight", layout);
        Assert.Contains("controlnet_cond_embedding.blocks.5.weight", layout);
        Assert.Contains("controlnet_cond_embedding.conv_out.weight", layout);
        Assert.Contains("add_embedding.linear_1.weight", layout);
        Assert.Contains("controlnet_mid_block.weight", layout);
        Assert.Contains("down_blocks.2.attentions.1.transformer_blocks.1.attn2.to_k.weight", layout);
        Assert.DoesNotContain(layout, k => k.StartsWith("input_blocks.", StringComparison.Ordinal) || k.StartsWith("zero_convs.", StringComparison.Ordinal));

        using var file = ControlNetFile.Load(Path.Combine(_controlNets, Net), conversionDirectory: null);

        Assert.Equal(ControlNetKeyLayout.Diffusers, file.Layout);
        Assert.Equal(0, file.IgnoredKeys);
        var unet = file.Model.Config.Unet;
        var expected = SdxlCheckpointPreset.Tiny.Unet;
        Assert.Equal(expected.AdmInChannels, unet.AdmInChannels);
        Assert.Equal(expected.ChannelMult, unet.ChannelMult);
        Assert.Equal(Enumerable.Range(0, 3).Select(expected.ResBlocksAt), Enumerable.Range(0, 3).Select(unet.ResBlocksAt));
        Assert.Equal(Enumerable.Range(0, 3).Select(expected.DepthAt), Enumerable.Range(0, 3).Select(unet.DepthAt));
        Assert.Equal(expected.MiddleDepth, unet.MiddleDepth);
        Assert.Equal(expected.NumHeadChannels, unet.NumHeadChannels);
        Assert.True(unet.LinearProjection);
    }

    [Fact]
    public void The_same_weights_in_the_original_layout_give_the_same_residuals()
    {
        var diffusers = Path.Combine(_controlNets, Net);
        var original = Path.Combine(_controlNets, "original.safetensors");
        var tensors = MappedSafetensors.Read(diffusers);
        var names = ControlNetDiffusersNames.Map(tensors.Keys.ToHashSet(StringComparer.Ordinal));
        foreach (var tensor in tensors.Values)
        {
            tensor.Dispose();
        }

        ControlNetFiles.Rewrite(diffusers, original, k => ControlNetLayout.OriginalPrefix + names[k]);
        using var a = ControlNetFile.Load(diffusers, null);
        using var b = ControlNetFile.Load(original, null);
        Assert.Equal(ControlNetKeyLayout.OriginalPrefixed, b.Layout);

        using var scope = NewDisposeScope();
        using var generator = new TorchSharp.torch.Generator(3);
        var x = randn([2, 4, 8, 8], generator: generator);
        var hint = rand([1, 3, 64, 64], generator: generator);
        var t = tensor(new float[] { 900, 100 });
        var context = randn([2, 77, a.Model.Config.Unet.ContextDim], generator: generator);
        var y = randn([2, a.Model.Config.Unet.AdmInChannels], generator: generator);
        using var ra = a.Model.Forward(x, hint, t, context, y);
        using var rb = b.Model.Forward(x, hint, t, context, y);
        using var withoutAdm = a.Model.Forward(x, hint, t, context, zeros_like(y));

        Assert.Equal(0f, (ra.Middle - rb.Middle).abs().max().item<float>());
        Assert.All(ra.Skips.Zip(rb.Skips), p => Assert.Equal(0f, (p.First - p.Second).abs().max().item<float>()));
        Assert.True((ra.Middle - withoutAdm.Middle).abs().max().item<float>() > 1e-3, "the adm vector reaches the ControlNet");
        Assert.Throws<ArgumentException>(() => a.Model.Forward(x, hint, t, context));
    }

    [Fact]
    public async Task In_an_sdxl_workflow_it_changes_the_image_and_strength_0_leaves_it_as_without()
    {
        var workflow = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Diffusion", "Fixtures", "sdxl-goldens", "sdxl-tiny-euler-normal.json")))!;
        workflow["10"] = new JsonObject { ["class_type"] = "ControlNetLoader", ["inputs"] = new JsonObject { ["control_net_name"] = Net } };
        workflow["11"] = new JsonObject { ["class_type"] = "LoadImage", ["inputs"] = new JsonObject { ["image"] = "control-ring-64.png" } };
        workflow["12"] = new JsonObject
        {
            ["class_type"] = "ControlNetApplyAdvanced",
            ["inputs"] = new JsonObject
            {
                ["positive"] = new JsonArray("6", 0), ["negative"] = new JsonArray("7", 0), ["control_net"] = new JsonArray("10", 0),
                ["image"] = new JsonArray("11", 0), ["strength"] = 0.9, ["start_percent"] = 0.0, ["end_percent"] = 1.0,
            },
        };
        var without = await Render(workflow);
        workflow["3"]!["inputs"]!["positive"] = new JsonArray("12", 0);
        workflow["3"]!["inputs"]!["negative"] = new JsonArray("12", 1);
        var controlled = await Render(workflow);
        workflow["12"]!["inputs"]!["strength"] = 0.0;
        var strength0 = await Render(workflow);

        var (max, mean) = PixelComparison.Compare(without, controlled);
        _output.WriteLine($"sdxl-tiny with vs without controlnet-sdxl-tiny: max |diff| {max}, mean {mean:F2}");
        Assert.True(mean > 2 && max > 20, $"the ControlNet barely changes the image (max {max}, mean {mean})");
        Assert.Equal(without, strength0);
    }

    public async Task DisposeAsync() => await _engine.DisposeAsync();

    public void Dispose() => _checkpoint.Dispose();

    private async Task<byte[]> Render(JsonNode workflow)
    {
        var result = await _engine.RunAsync(workflow.ToJsonString());
        return Assert.Single(result.Outputs).Artifact.Bytes.ToArray();
    }
}
