using ComfySnap.Diffusion.Models;
using ComfySnap.Diffusion.Models.StableDiffusion;
using ComfySnap.Diffusion.Models.StableDiffusion.ControlNet;
using ComfySnap.Diffusion.Models.StableDiffusion.Generation;
using ComfySnap.NodeSdk;
using ComfySnap.Tests.Diffusion.Support;
using Microsoft.Extensions.DependencyInjection;
using TorchSharp;
using static TorchSharp.torch;

namespace ComfySnap.Tests.Diffusion;

/// <summary>Sampling with ControlNets: no tensor left behind, and a ControlNet for another UNet fails with a clear message.</summary>
public sealed class ControlNetSamplingTests(ControlNetFixture fixture) : IClassFixture<ControlNetFixture>
{
    [Fact]
    public async Task Sampling_with_chained_controlnets_frees_every_tensor_it_makes()
    {
        var (checkpoint, net, net1) = await LoadAsync();
        using var noGrad = no_grad();
        long Live() => DisposeScopeManager.Statistics.TensorStatistics.ThreadTotalLiveCount;

        var before = Live();
        for (var i = 0; i < 2; i++)
        {
            var image = rand(2, 40, 56, 3);
            var first = new ControlApplication(net, image, 0.7, 0.0, 1.0, null);
            var chain = new ControlApplication(net1, image, 1.2, 0.3, 0.8, first);
            var positive = new Conditioning([new ConditioningEntry(ClipTextEncoding.Encode(checkpoint.Clip, "a cat")) { Control = chain }]);
            var negative = new Conditioning([new ConditioningEntry(ClipTextEncoding.Encode(checkpoint.Clip, "blurry")) { Control = chain }]);
            var latent = new Latent(zeros(2, 4, 6, 8));
            var sampled = KSamplerRun.Sample(checkpoint.Model, positive, negative, latent, new KSamplerSettings(1, 4, 7.0, "euler", "normal"), (_, _) => { }, CancellationToken.None);
            foreach (var t in positive.Tensors.Concat(negative.Tensors).Append(latent.Samples).Append(sampled.Samples).Distinct(ReferenceEqualityComparer.Instance).Cast<Tensor>().ToList())
            {
                t.Dispose();
            }
        }

        Assert.Equal(before, Live());
    }

    [Fact]
    public async Task A_controlnet_for_another_unet_fails_naming_the_mismatch()
    {
        var (checkpoint, _, _) = await LoadAsync();
        // The tiny UNet's layout and context, twice the channels.
        var tiny = CheckpointPreset.Tiny.Unet;
        var wide = new ControlNetPreset("controlnet-wide", new ControlNetConfig(tiny with { ModelChannels = tiny.ModelChannels * 2 }, 3), "fp32");
        var path = Path.Combine(fixture.ControlNetDirectory, "wide.safetensors");
        RandomControlNet.Write(wide, path);
        using var other = ControlNetFile.Load(path, null);
        using var scope = NewDisposeScope();
        var control = new ControlApplication(other, rand(1, 64, 64, 3), 1.0, 0.0, 1.0, null);
        var positive = new Conditioning([new ConditioningEntry(ClipTextEncoding.Encode(checkpoint.Clip, "a cat")) { Control = control }]);

        var error = Assert.Throws<InvalidOperationException>(() => KSamplerRun.Sample(checkpoint.Model, positive, positive, new Latent(zeros(1, 4, 8, 8)), new KSamplerSettings(1, 1, 1.0, "euler", "normal"), (_, _) => { }, CancellationToken.None));

        Assert.Contains("is the ControlNet for this model?", error.Message, StringComparison.Ordinal);
    }

    private async Task<(LoadedCheckpoint Checkpoint, ControlNetFile Net, ControlNetFile Net1)> LoadAsync()
    {
        var store = fixture.Engine.Services.GetRequiredService<ModelStore>();
        var checkpoint = await store.LoadAsync<LoadedCheckpoint>(ModelKinds.Checkpoints, TinyCheckpointFixture.FileName, CancellationToken.None);
        var net = await store.LoadAsync<ControlNetFile>(ModelKinds.ControlNet, ControlNetFixture.Net, CancellationToken.None);
        var net1 = await store.LoadAsync<ControlNetFile>(ModelKinds.ControlNet, ControlNetFixture.NetSeed1, CancellationToken.None);
        return (checkpoint, net, net1);
    }
}
