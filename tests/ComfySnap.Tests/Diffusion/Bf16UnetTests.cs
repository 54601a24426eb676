using ComfySnap.Diffusion.Models;
using ComfySnap.Diffusion.Models.StableDiffusion;
using ComfySnap.Engine.Validation;
using ComfySnap.Tests.Diffusion.Support;
using ComfySnap.Tests.Engine.Support;
using ComfySnap.Worker.Boot;
using ComfySnap.Worker.Caching;
using ComfySnap.Worker.Hosting;
using ComfySnap.NodeSdk;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using static TorchSharp.torch;

namespace ComfySnap.Tests.Diffusion;

/// <summary>
/// Models:UnetDtype=bf16: the UNet's weights in bfloat16 from their own side file (the rest as
/// with fp32), images close to the fp32 ones, a cache key of their own, and a bad value refused at start.
/// </summary>
public sealed class Bf16UnetTests(Bf16EngineFixture fixture, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<Bf16EngineFixture>
{
    private static string GoldensDirectory => Path.Combine(AppContext.BaseDirectory, "Diffusion", "Fixtures", "goldens");

    [Theory]
    [InlineData("tiny-euler-normal")]
    [InlineData("tiny-dpmpp_2m-karras")]
    [InlineData("tiny-batch2-nonsquare")]
    [InlineData("tiny-lcm-simple-cfg1")]
    public async Task A_bf16_unet_renders_close_to_the_fp32_image_but_not_the_same(string name)
    {
        var workflow = await File.ReadAllTextAsync(Path.Combine(GoldensDirectory, name + ".json"));
        var fp32 = (await fixture.Fp32.RunAsync(workflow)).Outputs.Select(o => o.Artifact.Bytes.ToArray()).ToList();
        var bf16 = (await fixture.Bf16.RunAsync(workflow)).Outputs.Select(o => o.Artifact.Bytes.ToArray()).ToList();

        Assert.Equal(fp32.Count, bf16.Count);
        for (var i = 0; i < fp32.Count; i++)
        {
            var (max, mean) = PixelComparison.Compare(fp32[i], bf16[i]);
            output.WriteLine($"{name} image {i}: bf16 vs fp32 max |diff| {max}, mean {mean:F4}");
            Bf16Tolerance.Assert(max, mean);
            // Identical pixels would mean the UNet did not compute in bf16 at all.
            Assert.True(max > 0, $"{name} image {i}: bf16 gave exactly the fp32 pixels");
        }
    }

    [Fact]
    public async Task A_bf16_checkpoint_maps_its_unet_in_bfloat16_from_its_own_side_file_and_the_rest_in_float32()
    {
        var fp32 = await LoadAsync(fixture.Fp32);
        var bf16 = await LoadAsync(fixture.Bf16);

        Assert.Equal(ScalarType.Float32, fp32.Checkpoint.Unet.Dtype);
        Assert.Equal(ScalarType.BFloat16, bf16.Checkpoint.Unet.Dtype);
        foreach (var (key, tensor) in bf16.Checkpoint.Weights)
        {
            var expected = key.StartsWith(CheckpointLayout.UnetPrefix, StringComparison.Ordinal) ? ScalarType.BFloat16 : ScalarType.Float32;
            Assert.True(tensor.dtype == expected, $"{key}: {tensor.dtype}, expected {expected}");
        }

        // The UNet's converted weights are mapped from a bf16 side file: half the bytes of its fp32 weights.
        var side = Assert.Single(bf16.MappedFiles, f => f.EndsWith(".compute-bf16.safetensors", StringComparison.Ordinal));
        Assert.DoesNotContain(side, fp32.MappedFiles);
        var unetFp32Bytes = fp32.Checkpoint.Weights.Where(kv => kv.Key.StartsWith(CheckpointLayout.UnetPrefix, StringComparison.Ordinal)).Sum(kv => kv.Value.NumberOfElements * 4);
        var mappedFromSide = MappedSafetensors.Read(side);
        try
        {
            var unetSideBytes = mappedFromSide.Where(kv => kv.Key.StartsWith(CheckpointLayout.UnetPrefix, StringComparison.Ordinal)).Sum(kv => kv.Value.NumberOfElements * kv.Value.ElementSize);
            Assert.Equal(unetFp32Bytes / 2, unetSideBytes);
        }
        finally
        {
            foreach (var tensor in mappedFromSide.Values)
            {
                tensor.Dispose();
            }
        }
    }

    [Fact]
    public void Cache_keys_differ_by_unet_dtype_and_only_by_it()
    {
        var json = File.ReadAllText(Path.Combine(GoldensDirectory, "tiny-euler-normal.json"));
        var workflow = Validate(fixture.Fp32, json);
        var services = fixture.Fp32.Services;
        string KeyWith(string dtype) => new WorkflowCacheKey(
            services.GetRequiredService<ModelStore>(), services.GetRequiredService<IWorkspace>(), services.GetRequiredService<EngineBoot>(),
            Options.Create(new ModelStoreOptions { UnetDtype = dtype })).Compute(workflow);

        // Each worker's key, with the options it was configured with.
        var fp32Key = ActivatorUtilities.CreateInstance<WorkflowCacheKey>(services).Compute(workflow);
        var bf16Key = ActivatorUtilities.CreateInstance<WorkflowCacheKey>(fixture.Bf16.Services).Compute(Validate(fixture.Bf16, json));

        Assert.Equal(KeyWith(UnetDtype.Fp32), fp32Key);
        Assert.Equal(KeyWith(UnetDtype.Bf16), bf16Key);
        Assert.NotEqual(fp32Key, bf16Key);
    }

    [Theory]
    [InlineData("fp16")]
    [InlineData("bfloat")]
    [InlineData("")]
    public void A_unet_dtype_other_than_fp32_or_bf16_fails_the_start_naming_the_setting(string value)
    {
        using var host = WorkerHostFactory.CreateBuilder(new Dictionary<string, string?> { ["Models:UnetDtype"] = value }).Build();

        var error = Assert.Throws<OptionsValidationException>(() => host.Services.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains("Models:UnetDtype must be fp32", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("fp32", ScalarType.Float32)]
    [InlineData("bf16", ScalarType.BFloat16)]
    [InlineData("BF16", ScalarType.BFloat16)]
    public void The_accepted_names_parse_case_insensitively(string value, ScalarType expected)
    {
        Assert.True(UnetDtype.TryParse(value, out var dtype));
        Assert.Equal(expected, dtype);
        Assert.Equal(expected, new ModelStoreOptions { UnetDtype = value }.ResolvedUnetDtype);
    }

    private static async Task<LoadedCheckpoint> LoadAsync(EngineHarness engine) =>
        await engine.Services.GetRequiredService<ModelStore>().LoadAsync<LoadedCheckpoint>(ModelKinds.Checkpoints, TinyCheckpointFixture.FileName, CancellationToken.None);

    private static ValidatedWorkflow Validate(EngineHarness engine, string json)
    {
        var report = engine.Validate(json, out var workflow);
        Assert.True(report.IsValid, report.Describe());
        return workflow!;
    }
}
