using System.Text.Json;
using ComfySnap.Tests.Sampling.Support;
using ComfySnap.Diffusion.Sampling;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace ComfySnap.Tests.Sampling;

/// <summary>
/// TorchSharp's seeded CPU generator against PyTorch's (noise.json, from torch.manual_seed + randn as
/// ComfyUI's prepare_noise, and default_noise_sampler's own seed + 1 generator).
/// </summary>
public sealed class InitialNoiseTests(ITestOutputHelper output)
{
    private static readonly JsonElement Fixture = SamplingFixtures.Load("noise.json");

    public static TheoryData<int> Seeds => SamplingFixtures.Indices("noise.json", "prepare_noise");

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Prepare_draws_the_numbers_of_torch_manual_seed(int index)
    {
        using var scope = NewDisposeScope();
        var c = Fixture.GetProperty("prepare_noise")[index];
        var shape = c.GetProperty("shape").Shape();

        var noise = InitialNoise.Prepare(c.Seed(), shape);

        Assert.Equal(shape, noise.shape);
        Assert.Equal(ScalarType.Float32, noise.dtype);
        var expected = c.GetProperty("values").Floats();
        output.WriteLine($"seed {c.Seed()}: max abs diff {Close.MaxAbsDiff(expected, noise):G3}");
        Close.Values(expected, noise, 1e-6, 1e-6, $"seed {c.Seed()}");
        Assert.Equal(c.GetProperty("sum").GetDouble(), noise.to(float64).sum().item<double>(), 1e-3);
        Assert.Equal(c.GetProperty("abs_sum").GetDouble(), noise.to(float64).abs().sum().item<double>(), 1e-3);
    }

    [Fact]
    public void Ancestral_noise_is_its_own_stream_seeded_with_seed_plus_one()
    {
        foreach (var c in Fixture.GetProperty("noise_sampler").EnumerateArray())
        {
            using var scope = NewDisposeScope();
            var shape = c.GetProperty("shape").Shape();
            using var noise = new AncestralNoise(c.Seed(), c.GetProperty("offset").GetUInt64());
            foreach (var draw in c.GetProperty("draws").EnumerateArray())
            {
                Close.Values(draw.Floats(), noise.Next(shape), 1e-6, 1e-6, $"seed {c.Seed()}");
            }
        }
    }

    [Fact]
    public void Ancestral_noise_fails_on_the_largest_seed_as_ComfyUI_does()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new AncestralNoise(ulong.MaxValue));
        using var noOffset = new AncestralNoise(ulong.MaxValue, offset: 0);
    }
}
