using ComfySnap.NodeSdk;
using ComfySnap.Tests.Diffusion.Support;
using ComfySnap.Diffusion.Models;
using ComfySnap.Diffusion.Models.StableDiffusion;
using Microsoft.Extensions.DependencyInjection;
using TorchSharp;
using static TorchSharp.torch;

namespace ComfySnap.Tests.Diffusion;

/// <summary>Each step of a render leaves no tensor behind (counted on this thread: these calls are synchronous).</summary>
public sealed class TensorLeakTests(SdEngineFixture sd) : IClassFixture<SdEngineFixture>
{
    [Fact]
    public async Task Text_encode_sampling_and_decode_free_every_tensor_they_make()
    {
        var checkpoint = await sd.Engine.Services.GetRequiredService<ModelStore>().LoadAsync<LoadedCheckpoint>("checkpoints", TinyCheckpointFixture.FileName, CancellationToken.None);
        using var noGrad = no_grad();
        long Live() => DisposeScopeManager.Statistics.TensorStatistics.ThreadTotalLiveCount;

        var before = Live();
        for (var i = 0; i < 3; i++)
        {
            using var positive = new Scoped<Conditioning>(new Conditioning([new ConditioningEntry(ClipTextEncoding.Encode(checkpoint.Clip, "(a red cat:1.2) on a mat"))]));
            using var negative = new Scoped<Conditioning>(new Conditioning([new ConditioningEntry(ClipTextEncoding.Encode(checkpoint.Clip, "blurry"))]));
            using var empty = new Scoped<Latent>(new Latent(zeros(1, 4, 8, 8)));
            using var sampled = new Scoped<Latent>(KSamplerRun.Sample(checkpoint.Model, positive.Value, negative.Value, empty.Value, new KSamplerSettings(1, 3, 7.0, "euler_ancestral", "karras"), (_, _) => { }, CancellationToken.None));
            using var image = VaeImages.Decode(checkpoint.Checkpoint.Vae, sampled.Value.Samples, CancellationToken.None);
            using var encoded = VaeImages.Encode(checkpoint.Checkpoint.Vae, image, CancellationToken.None);
        }

        Assert.Equal(before, Live());
    }

    /// <summary>Disposes a node value's tensors, as the engine does.</summary>
    private sealed class Scoped<T>(T value) : IDisposable
        where T : ITensorHolder
    {
        public T Value { get; } = value;

        public void Dispose()
        {
            foreach (var t in Value.Tensors)
            {
                t.Dispose();
            }
        }
    }
}
