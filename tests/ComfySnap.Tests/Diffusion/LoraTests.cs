using ComfySnap.Tests.Diffusion.Support;
using ComfySnap.Tests.Engine.Support;
using ComfySnap.Engine.Execution;
using ComfySnap.Engine.Nodes;
using ComfySnap.Diffusion.Models;
using ComfySnap.Diffusion.Models.StableDiffusion;
using ComfySnap.Diffusion.Models.StableDiffusion.Lora;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using static ComfySnap.Tests.Diffusion.Support.TinyLora;
using static TorchSharp.torch;

namespace ComfySnap.Tests.Diffusion;

/// <summary>
/// LoraLoader and LoraLoaderModelOnly on the tiny checkpoint with LoRA files written at test
/// time: the patch arithmetic for each key format, which tensors are new, strengths, chaining,
/// unknown keys, and that the engine frees patched weights (and never the checkpoint's).
/// </summary>
public sealed class LoraTests(LoraFixture fixture) : IClassFixture<LoraFixture>
{
    [Theory]
    [InlineData(LoraFixture.KohyaOriginal)]
    [InlineData(LoraFixture.KohyaDiffusers)]
    [InlineData(LoraFixture.DiffusionModelKeys)]
    public async Task Each_patched_weight_is_w_plus_strength_alpha_over_rank_up_times_down(string file)
    {
        var checkpoint = await CheckpointAsync();
        var lora = await LoraAsync(file);
        using var scope = NewDisposeScope();
        var (model, clip) = LoraApplication.Apply(lora, checkpoint.Model, checkpoint.Clip, 0.8, -1.25, NullLogger.Instance);

        var (targets, naming) = fixture.Files[file];
        Assert.Contains(targets, t => t.WeightKey == Linear);
        Assert.Contains(targets, t => t.WeightKey == Conv1x1);
        Assert.Contains(targets, t => t.WeightKey == Conv3x3);
        var stored = ReadFile(file);
        foreach (var target in targets)
        {
            var isClip = target.WeightKey.StartsWith(CheckpointLayout.ClipPrefix, StringComparison.Ordinal);
            var original = checkpoint.Checkpoint.Weights[target.WeightKey];
            var expected = Expected(original, [(stored, target.Name, naming, isClip ? -1.25 : 0.8)]);
            var actual = (isClip ? clip!.Weights : model!.Weights).All[target.WeightKey];
            // CLIP weights are kept as float16 on CPU in ComfyUI, so are its patched copies.
            AssertClose(isClip ? expected.to_type(float16).to_type(float32) : expected, actual, isClip ? 1e-3 : 1e-6, target.Name);
            Assert.True((actual - original).abs().max().item<float>() > 1e-4, $"{target.Name} did not change {target.WeightKey}");
        }

        DisposeAll(stored);
    }

    [Fact]
    public async Task Only_the_patched_weights_are_new_tensors_all_others_are_the_checkpoints()
    {
        var checkpoint = await CheckpointAsync();
        var lora = await LoraAsync(LoraFixture.KohyaDiffusers);
        using var scope = NewDisposeScope();
        var (model, clip) = LoraApplication.Apply(lora, checkpoint.Model, checkpoint.Clip, 1, 1, NullLogger.Instance);

        var patched = fixture.Files[LoraFixture.KohyaDiffusers].Targets.Select(t => t.WeightKey).ToHashSet(StringComparer.Ordinal);
        foreach (var weights in new[] { model!.Weights, clip!.Weights })
        {
            Assert.Equal(weights.Owned.Count(), weights.Patched.Count);
            foreach (var (key, tensor) in weights.All)
            {
                Assert.Equal(!weights.Patched.ContainsKey(key), ReferenceEquals(tensor, checkpoint.Checkpoint.Weights[key]));
            }
        }

        Assert.True(patched.SetEquals(model.Weights.Patched.Keys.Concat(clip.Weights.Patched.Keys)), "the patched weights are not the LoRA's targets");
    }

    [Fact]
    public async Task Strength_zero_returns_the_inputs_and_renders_the_same_pixels_as_no_lora()
    {
        var checkpoint = await CheckpointAsync();
        var lora = await LoraAsync(LoraFixture.Broad);
        var (model, clip) = LoraApplication.Apply(lora, checkpoint.Model, checkpoint.Clip, 0, 0, NullLogger.Instance);
        Assert.Same(checkpoint.Model, model);
        Assert.Same(checkpoint.Clip, clip);

        var plain = await RenderAsync([]);
        AssertSamePixels(plain, await RenderAsync([new LoraStep(LoraFixture.Broad, 0, 0)]));
        AssertSamePixels(plain, await RenderAsync([new LoraStep(LoraFixture.Broad, 0, ModelOnly: true)]));
    }

    [Fact]
    public async Task A_lora_changes_the_image_and_the_model_only_loader_leaves_clip_alone()
    {
        var plain = await RenderAsync([]);
        var both = await RenderAsync([new LoraStep(LoraFixture.Broad, 1, 1)]);
        var clipOnly = await RenderAsync([new LoraStep(LoraFixture.Broad, 0, 1)]);
        var modelOnly = await RenderAsync([new LoraStep(LoraFixture.Broad, 1, ModelOnly: true)]);
        var modelClipZero = await RenderAsync([new LoraStep(LoraFixture.Broad, 1, 0)]);

        AssertDifferentPixels(plain, both);
        AssertDifferentPixels(plain, clipOnly);
        AssertDifferentPixels(plain, modelOnly);
        AssertDifferentPixels(both, modelOnly);
        AssertSamePixels(modelClipZero, modelOnly);
    }

    [Fact]
    public async Task Conditioning_changes_only_with_a_clip_strength()
    {
        var checkpoint = await CheckpointAsync();
        var lora = await LoraAsync(LoraFixture.Broad);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (_, untouched) = LoraApplication.Apply(lora, checkpoint.Model, checkpoint.Clip, 1, 0, NullLogger.Instance);
        var (_, patched) = LoraApplication.Apply(lora, checkpoint.Model, checkpoint.Clip, 1, 1, NullLogger.Instance);

        var plain = ClipTextEncoding.Encode(checkpoint.Clip, "a red cat on a mat");
        Assert.Same(checkpoint.Clip, untouched);
        Assert.True(plain.allclose(ClipTextEncoding.Encode(untouched!, "a red cat on a mat"), rtol: 0, atol: 0));
        Assert.False(plain.allclose(ClipTextEncoding.Encode(patched!, "a red cat on a mat"), rtol: 0, atol: 1e-4));
    }

    [Fact]
    public async Task Chained_loras_both_apply_and_a_weight_patched_twice_holds_both()
    {
        var checkpoint = await CheckpointAsync();
        var (first, second) = (await LoraAsync(LoraFixture.KohyaOriginal), await LoraAsync(LoraFixture.Second));
        using var scope = NewDisposeScope();
        var (model1, clip1) = LoraApplication.Apply(first, checkpoint.Model, checkpoint.Clip, 0.7, 0.9, NullLogger.Instance);
        var (model2, clip2) = LoraApplication.Apply(second, model1, clip1, -0.5, 1.1, NullLogger.Instance);

        var (a, b) = (ReadFile(LoraFixture.KohyaOriginal), ReadFile(LoraFixture.Second));
        var kohya = LoraPairNaming.Kohya;
        Tensor Original(string key) => checkpoint.Checkpoint.Weights[key];
        AssertClose(Expected(Original(Linear), [(a, KohyaName(Linear), kohya, 0.7)]), model2!.Weights.All[Linear], 1e-6, "first only");
        AssertClose(Expected(Original(Upsampler), [(b, KohyaName(Upsampler), kohya, -0.5)]), model2.Weights.All[Upsampler], 1e-6, "second only");
        AssertClose(Expected(Original(Conv1x1), [(a, KohyaName(Conv1x1), kohya, 0.7), (b, KohyaName(Conv1x1), kohya, -0.5)]), model2.Weights.All[Conv1x1], 1e-6, "both");
        var clipExpected = Expected(Original(ClipQuery), [(a, KohyaName(ClipQuery), kohya, 0.9), (b, KohyaName(ClipQuery), kohya, 1.1)]);
        AssertClose(clipExpected.to_type(float16).to_type(float32), clip2!.Weights.All[ClipQuery], 1e-3, "both, CLIP");

        // A copy the second LoRA does not touch is shared with the first's output, not recomputed.
        Assert.Same(model1!.Weights.All[Linear], model2.Weights.All[Linear]);
        DisposeAll(a);
        DisposeAll(b);

        var chained = await RenderAsync([new LoraStep(LoraFixture.Broad, 1, 1), new LoraStep(LoraFixture.Second, 1, 1)]);
        AssertDifferentPixels(await RenderAsync([new LoraStep(LoraFixture.Broad, 1, 1)]), chained);
        AssertDifferentPixels(await RenderAsync([new LoraStep(LoraFixture.Second, 1, 1)]), chained);
    }

    [Fact]
    public async Task Keys_no_weight_has_are_not_loaded_and_the_render_still_works()
    {
        var checkpoint = await CheckpointAsync();
        var lora = await LoraAsync(LoraFixture.WithUnknownKeys);
        var keyMap = LoraKeyMap.ForUnet(checkpoint.Checkpoint.Weights.Keys, checkpoint.Model.Unet.Config);
        foreach (var (name, key) in LoraKeyMap.ForClip(checkpoint.Checkpoint.Weights.Keys))
        {
            keyMap[name] = key;
        }

        var match = LoraMatch.Read(lora, keyMap, key => checkpoint.Checkpoint.Weights[key].shape);
        Assert.Equal(LoraFixture.UnknownKeys.Select(k => k.Key).Order(StringComparer.Ordinal), match.NotLoaded);
        Assert.Equal(12, match.Adapters.Count);

        // Without CLIP in the key map, a LoRA's text-encoder keys are not loaded either.
        var unetOnly = LoraMatch.Read(await LoraAsync(LoraFixture.KohyaOriginal), LoraKeyMap.ForUnet(checkpoint.Checkpoint.Weights.Keys, checkpoint.Model.Unet.Config), key => checkpoint.Checkpoint.Weights[key].shape);
        Assert.Equal(new[] { KohyaName(ClipQuery) + ".alpha", KohyaName(ClipQuery) + ".lora_down.weight", KohyaName(ClipQuery) + ".lora_up.weight" }, unetOnly.NotLoaded);

        AssertDifferentPixels(await RenderAsync([]), await RenderAsync([new LoraStep(LoraFixture.WithUnknownKeys, 1, 1)]));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_file_with_no_matching_key_fails_the_node_naming_the_file(bool modelOnly)
    {
        var error = await Assert.ThrowsAsync<NodeExecutionException>(() => RenderAsync([new LoraStep(LoraFixture.Unrelated, 1, 1, modelOnly)]));
        Assert.Contains(LoraFixture.Unrelated, error.Message, StringComparison.Ordinal);
        Assert.Contains("none of its", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(512L * 1024 * 1024)]
    public async Task Twenty_runs_free_every_patched_weight_and_never_a_checkpoint_weight(long cacheBytes)
    {
        await using var engine = await EngineHarness.StartAsync(settings: fixture.Settings(cacheBytes));
        var probe = new PatchedTensorProbe();
        engine.Services.GetRequiredService<NodeRegistry>().Register(probe, "tests");
        var strengths = new[] { 1.0, 0.5, -0.75, 1.5, 0.25 };
        var firstImages = new Dictionary<double, byte[]>();
        for (var run = 0; run < 20; run++)
        {
            var strength = strengths[run % strengths.Length];
            var workflow = LoraWorkflow.Txt2Img([new LoraStep(LoraFixture.Broad, strength, strength), new LoraStep(LoraFixture.Second, 1, 1)], PatchedTensorProbe.Name);
            var image = (await engine.RunAsync(workflow)).Outputs.Single().Artifact.Bytes.ToArray();
            if (!firstImages.TryAdd(strength, image))
            {
                // A cached MODEL/CLIP still has intact weights: the same image as the first time.
                AssertSamePixels(firstImages[strength], image);
            }

            if (cacheBytes == 0)
            {
                Assert.All(probe.Seen, t => Assert.True(t.IsInvalid, "a patched weight outlived its run"));
            }
        }

        Assert.True(probe.SeenInModels > 0 && probe.Seen.Count > probe.SeenInModels, "the probe saw no patched UNet or CLIP weight");
        if (cacheBytes > 0)
        {
            var cache = engine.Services.GetRequiredService<NodeOutputCache>();
            Assert.Contains(probe.Seen, t => !t.IsInvalid);
            Assert.True(cache.Bytes >= probe.Seen.Where(t => !t.IsInvalid).Sum(t => t.numel() * t.ElementSize), "the cache does not count the patched weights it holds");
            cache.Clear();
            Assert.All(probe.Seen, t => Assert.True(t.IsInvalid, "a patched weight outlived the cache"));
        }

        var checkpoint = await engine.Services.GetRequiredService<ModelStore>().LoadAsync<LoadedCheckpoint>("checkpoints", TinyCheckpointFixture.FileName, CancellationToken.None);
        Assert.All(checkpoint.Checkpoint.Weights.Values, t => Assert.False(t.IsInvalid));
        AssertSamePixels(firstImages[strengths[0]], (await engine.RunAsync(LoraWorkflow.Txt2Img([new LoraStep(LoraFixture.Broad, strengths[0], strengths[0]), new LoraStep(LoraFixture.Second, 1, 1)]))).Outputs.Single().Artifact.Bytes.ToArray());
    }

    private Task<LoadedCheckpoint> CheckpointAsync() =>
        fixture.Engine.Services.GetRequiredService<ModelStore>().LoadAsync<LoadedCheckpoint>("checkpoints", TinyCheckpointFixture.FileName, CancellationToken.None).AsTask();

    private Task<LoraFile> LoraAsync(string name) =>
        fixture.Engine.Services.GetRequiredService<ModelStore>().LoadAsync<LoraFile>("loras", name, CancellationToken.None).AsTask();

    private Dictionary<string, Tensor> ReadFile(string name) => MappedSafetensors.Read(fixture.PathOf(name));

    private async Task<byte[]> RenderAsync(IEnumerable<LoraStep> loras) =>
        (await fixture.Engine.RunAsync(LoraWorkflow.Txt2Img(loras))).Outputs.Single().Artifact.Bytes.ToArray();

    private static void AssertSamePixels(byte[] expected, byte[] actual) =>
        Assert.Equal((0.0, 0.0), PixelComparison.Compare(expected, actual));

    private static void AssertDifferentPixels(byte[] a, byte[] b) =>
        Assert.True(PixelComparison.Compare(a, b).Max >= 2, "the LoRA did not change the image");

    private static void AssertClose(Tensor expected, Tensor actual, double tolerance, string what)
    {
        Assert.Equal(expected.shape, actual.shape);
        var diff = (expected - actual).abs().max().item<float>();
        var scale = Math.Max(1, expected.abs().max().item<float>());
        Assert.True(diff <= tolerance * scale, $"{what}: max |diff| {diff} (tolerance {tolerance * scale})");
    }

    private static void DisposeAll(Dictionary<string, Tensor> tensors)
    {
        foreach (var tensor in tensors.Values)
        {
            tensor.Dispose();
        }
    }
}
