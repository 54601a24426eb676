using System.Text.Json;
using ComfySnap.Tests.Sampling.Support;
using ComfySnap.Diffusion.Sampling;
using static TorchSharp.torch;

namespace ComfySnap.Tests.Sampling;

/// <summary>Every scheduler, KSampler's denoise and dpm_2 rules, against the reference (schedules.json).</summary>
public sealed class SchedulerTests
{
    private const double Relative = 1e-5;
    private static readonly JsonElement Fixture = SamplingFixtures.Load("schedules.json");

    public static TheoryData<int> ScheduleCases => SamplingFixtures.Indices("schedules.json", "schedules");

    public static TheoryData<int> KSamplerCases => SamplingFixtures.Indices("schedules.json", "ksampler");

    [Theory]
    [MemberData(nameof(ScheduleCases))]
    public void Scheduler_matches_the_reference(int index)
    {
        using var scope = NewDisposeScope();
        var c = Fixture.GetProperty("schedules")[index];
        var name = c.GetProperty("scheduler").GetString()!;
        var steps = c.GetProperty("steps").GetInt32();

        var sigmas = Schedulers.Compute(name, ModelSamplingDiscrete.Sd1, steps);

        Assert.Equal(ScalarType.Float32, sigmas.dtype);
        Close.Values(c.GetProperty("sigmas").Floats(), sigmas, Relative, 0, $"{name} x {steps}");
    }

    [Theory]
    [MemberData(nameof(KSamplerCases))]
    public void KSampler_sigmas_match_the_reference(int index)
    {
        using var scope = NewDisposeScope();
        var c = Fixture.GetProperty("ksampler")[index];
        var (sampler, scheduler) = (c.GetProperty("sampler").GetString()!, c.GetProperty("scheduler").GetString()!);
        var (steps, denoise) = (c.GetProperty("steps").GetInt32(), c.GetProperty("denoise").GetDouble());

        var sigmas = KSamplerSigmas.Compute(ModelSamplingDiscrete.Sd1, sampler, scheduler, steps, denoise);

        Close.Values(c.GetProperty("sigmas").Floats(), sigmas, Relative, 0, $"{sampler}/{scheduler} x {steps} denoise {denoise}");
    }

    [Fact]
    public void Every_scheduler_name_is_computable_and_ends_in_zero()
    {
        using var scope = NewDisposeScope();
        foreach (var name in Schedulers.Names)
        {
            var sigmas = Schedulers.Compute(name, ModelSamplingDiscrete.Sd1, 8);
            Assert.Equal(0f, sigmas[-1].item<float>());
        }

        Assert.Throws<ArgumentException>(() => Schedulers.Compute("beta", ModelSamplingDiscrete.Sd1, 8));
    }

    [Fact]
    public void Step_range_all_keeps_every_sigma()
    {
        using var scope = NewDisposeScope();
        var sigmas = tensor(new[] { 5f, 4f, 3f, 2f, 1f, 0f });

        Assert.Equal(sigmas.data<float>().ToArray(), StepRange.All.Apply(sigmas).data<float>().ToArray());
    }

    [Theory]
    [InlineData(2, 4, true, new[] { 3f, 2f, 0f })]        // end cut, leftover noise removed
    [InlineData(2, 4, false, new[] { 3f, 2f, 1f })]       // end cut, leftover noise kept
    [InlineData(0, 5, true, new[] { 5f, 4f, 3f, 2f, 1f, 0f })] // end at the last step: nothing forced
    [InlineData(0, 10000, false, new[] { 5f, 4f, 3f, 2f, 1f, 0f })]
    [InlineData(4, 10000, true, new[] { 1f, 0f })]
    [InlineData(5, 10000, true, new float[0])]           // start at the last sigma: nothing to sample
    [InlineData(3, 3, true, new float[0])]               // start == end: nothing to sample
    public void Step_range_trims_as_KSamplerAdvanced(int start, int last, bool force, float[] expected)
    {
        using var scope = NewDisposeScope();
        var sigmas = tensor(new[] { 5f, 4f, 3f, 2f, 1f, 0f });

        var window = new StepRange(start, last, force).Apply(sigmas);

        Assert.Equal(expected, window.data<float>().ToArray());
        Assert.Equal(new[] { 5f, 4f, 3f, 2f, 1f, 0f }, sigmas.data<float>().ToArray());
    }
}
