using System.Text.Json;
using ComfySnap.Tests.Sampling.Support;
using ComfySnap.Diffusion.Sampling;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace ComfySnap.Tests.Sampling;

/// <summary>
/// The whole KSampler / KSamplerAdvanced path built from the public API the way the node will be
/// (noise, sigmas, step range, latent scaling, noise scaling, sampler), on a toy EPS UNet, against the
/// reference's common_ksampler (ksampler.json).
/// </summary>
public sealed class KSamplerPipelineTests(ITestOutputHelper output)
{
    private static readonly JsonElement Fixture = SamplingFixtures.Load("ksampler.json");

    public static TheoryData<int> Cases => SamplingFixtures.Indices("ksampler.json", "cases");

    [Theory]
    [MemberData(nameof(Cases))]
    public void Pipeline_matches_common_ksampler(int index)
    {
        using var scope = NewDisposeScope();
        var c = Fixture.GetProperty("cases")[index];
        var name = c.GetProperty("name").GetString()!;
        var shape = c.GetProperty("shape").Shape();
        var ms = ModelSamplingDiscrete.Sd1;
        var latent = c.GetProperty("latent").Tensor(shape);
        var range = new StepRange(NullableInt(c, "start_at_step"), NullableInt(c, "end_at_step"), c.GetProperty("force_full_denoise").GetBoolean());

        var noise = c.GetProperty("add_noise").GetBoolean() ? InitialNoise.Prepare(c.Seed(), shape) : zeros(shape);
        var sigmas = range.Apply(KSamplerSigmas.Compute(ms, c.GetProperty("sampler").GetString()!, c.GetProperty("scheduler").GetString()!, c.GetProperty("steps").GetInt32(), c.GetProperty("denoise").GetDouble()));
        Close.Values(c.GetProperty("sigmas").Floats(), sigmas, 1e-5, 0, $"{name} sigmas");
        Tensor samples;
        if (sigmas.shape[0] == 0)
        {
            samples = latent;
        }
        else
        {
            var scaled = latent.count_nonzero().item<long>() > 0 ? Sd1LatentFormat.ProcessIn(latent) : latent;
            var maxDenoise = ms.IsMaxDenoise(sigmas[0].item<float>());
            Assert.Equal(c.GetProperty("max_denoise").GetBoolean(), maxDenoise);
            var x = ModelSamplingDiscrete.NoiseScaling(sigmas[0], noise, scaled, maxDenoise);
            var options = new SamplerOptions(c.Seed());
            samples = Sd1LatentFormat.ProcessOut(Samplers.Sample(c.GetProperty("sampler").GetString()!, SamplingToys.EpsModel(ms), x, sigmas, options));
        }

        var expected = c.GetProperty("samples").Floats();
        output.WriteLine($"{name}: max abs diff {Close.MaxAbsDiff(expected, samples):G3}");
        Close.Values(expected, samples, 1e-5, 1e-4, name);
    }

    private static int? NullableInt(JsonElement c, string property) =>
        c.GetProperty(property).ValueKind == JsonValueKind.Null ? null : c.GetProperty(property).GetInt32();
}
