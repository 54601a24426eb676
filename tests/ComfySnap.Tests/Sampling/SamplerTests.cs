using System.Text.Json;
using ComfySnap.Tests.Sampling.Support;
using ComfySnap.Diffusion.Sampling;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace ComfySnap.Tests.Sampling;

/// <summary>
/// Each sampler on a toy denoiser against the reference's samplers (samplers.json: sdref.SAMPLERS run
/// from prepare_noise(42) * sqrt(1 + sigma0^2), ancestral noise from seed + 1), plus the run loop's
/// progress, cancellation and tensor lifetimes.
/// </summary>
public sealed class SamplerTests(ITestOutputHelper output)
{
    private static readonly JsonElement Fixture = SamplingFixtures.Load("samplers.json");

    public static TheoryData<int> Runs => SamplingFixtures.Indices("samplers.json", "runs");

    [Theory]
    [MemberData(nameof(Runs))]
    public void Sampler_matches_the_reference(int index)
    {
        using var scope = NewDisposeScope();
        var c = Fixture.GetProperty("runs")[index];
        var (sampler, scheduler, steps) = (c.GetProperty("sampler").GetString()!, c.GetProperty("scheduler").GetString()!, c.GetProperty("steps").GetInt32());
        var shape = c.GetProperty("shape").Shape();
        var ms = ModelSamplingDiscrete.Sd1;
        var sigmas = KSamplerSigmas.Compute(ms, sampler, scheduler, steps);
        Close.Values(c.GetProperty("sigmas").Floats(), sigmas, 1e-5, 0, "sigmas");
        var noise = InitialNoise.Prepare(c.Seed(), shape);
        var x0 = ModelSamplingDiscrete.NoiseScaling(sigmas[0], noise, zeros(shape), maxDenoise: true);

        var x = Samplers.Sample(sampler, SamplingToys.Denoiser, x0, sigmas, new SamplerOptions(c.Seed()));

        var expected = c.GetProperty("x").Floats();
        output.WriteLine($"{sampler}/{scheduler} x {steps}: max abs diff {Close.MaxAbsDiff(expected, x):G3} sigmas {Close.MaxAbsDiff(c.GetProperty("sigmas").Floats(), sigmas):G3}");
        Assert.Equal(shape, x.shape);
        Close.Values(expected, x, 0, 1e-4, $"{sampler}/{scheduler} x {steps}");
    }

    [Fact]
    public void Every_sampler_name_runs_and_unknown_names_throw()
    {
        using var scope = NewDisposeScope();
        var sigmas = KSamplerSigmas.Compute(ModelSamplingDiscrete.Sd1, Samplers.Euler, Schedulers.Karras, 3);
        var x0 = randn(1, 4, 2, 2);
        foreach (var name in Samplers.Names)
        {
            Assert.True(Samplers.Sample(name, SamplingToys.Denoiser, x0, sigmas, new SamplerOptions(1)).isfinite().all().item<bool>(), name);
        }

        Assert.Throws<ArgumentException>(() => Samplers.Sample("uni_pc", SamplingToys.Denoiser, x0, sigmas, new SamplerOptions(1)));
    }

    [Fact]
    public void Progress_is_reported_after_each_step_with_the_step_count()
    {
        using var scope = NewDisposeScope();
        var sigmas = KSamplerSigmas.Compute(ModelSamplingDiscrete.Sd1, Samplers.Heun, Schedulers.Normal, 5);
        var reports = new List<(int Step, int Total)>();
        var calls = 0;
        Tensor Counting(Tensor x, Tensor sigma)
        {
            calls++;
            return SamplingToys.Denoiser(x, sigma);
        }

        Samplers.Sample(Samplers.Heun, Counting, randn(2, 4, 2, 2), sigmas, new SamplerOptions(1) { Progress = (s, t) => reports.Add((s, t)) });

        Assert.Equal([(1, 5), (2, 5), (3, 5), (4, 5), (5, 5)], reports);
        Assert.Equal(9, calls); // heun: two model calls per step, one on the step to sigma 0
    }

    [Fact]
    public void Cancellation_stops_before_the_next_step()
    {
        using var scope = NewDisposeScope();
        using var cts = new CancellationTokenSource();
        var sigmas = KSamplerSigmas.Compute(ModelSamplingDiscrete.Sd1, Samplers.Euler, Schedulers.Karras, 10);
        var calls = 0;
        Tensor Counting(Tensor x, Tensor sigma)
        {
            calls++;
            return SamplingToys.Denoiser(x, sigma);
        }

        var options = new SamplerOptions(1)
        {
            CancellationToken = cts.Token,
            Progress = (step, _) =>
            {
                if (step == 3)
                {
                    cts.Cancel();
                }
            },
        };

        Assert.Throws<OperationCanceledException>(() => Samplers.Sample(Samplers.Euler, Counting, randn(1, 4, 2, 2), sigmas, options));
        Assert.Equal(3, calls);
    }

    [Fact]
    public void Zero_steps_return_a_new_handle_on_the_input()
    {
        using var scope = NewDisposeScope();
        var x = randn(1, 4, 2, 2);

        var result = Samplers.Sample(Samplers.Euler, SamplingToys.Denoiser, x, tensor(new[] { 1f }), new SamplerOptions(1));

        Assert.NotSame(x, result);
        Assert.True(x.eq(result).all().item<bool>());
    }

    [Theory]
    [InlineData(Samplers.DpmPp2M)]
    [InlineData(Samplers.EulerAncestral)]
    [InlineData(Samplers.Heun)]
    public void Fifty_steps_keep_the_live_tensor_count_flat(string sampler)
    {
        using var scope = NewDisposeScope();
        var sigmas = KSamplerSigmas.Compute(ModelSamplingDiscrete.Sd1, sampler, Schedulers.Karras, 50);
        var x0 = randn(1, 4, 8, 8) * 14.6;
        var live = new List<long>();
        var options = new SamplerOptions(3) { Progress = (_, _) => live.Add(DisposeScopeManager.Statistics.TensorStatistics.ThreadTotalLiveCount) };
        var before = DisposeScopeManager.Statistics.TensorStatistics.ThreadTotalLiveCount;

        using (NewDisposeScope())
        {
            Samplers.Sample(sampler, SamplingToys.Denoiser, x0, sigmas, options);
        }

        Assert.Equal(50, live.Count);
        Assert.Equal(live[1], live[^1]);
        Assert.True(live.Max() - before <= 4, $"live tensors during the run: {live.Max() - before} above the start");
        Assert.Equal(before, DisposeScopeManager.Statistics.TensorStatistics.ThreadTotalLiveCount);
    }
}
