using System.Text.Json;
using ComfySnap.Tests.Sampling.Support;
using ComfySnap.Diffusion.Sampling;
using static TorchSharp.torch;

namespace ComfySnap.Tests.Sampling;

/// <summary>The SD1 sigma table and EPS scalings against the reference's (model_sampling.json).</summary>
public sealed class ModelSamplingDiscreteTests
{
    private static readonly JsonElement Fixture = SamplingFixtures.Load("model_sampling.json");
    private static readonly ModelSamplingDiscrete Ms = ModelSamplingDiscrete.Sd1;

    [Fact]
    public void Sigma_tables_match_the_reference()
    {
        Close.Values(Fixture.GetProperty("sigmas").Floats(), Ms.Sigmas, 1e-6, 0, "sigmas");
        Close.Values(Fixture.GetProperty("log_sigmas").Floats(), Ms.LogSigmas, 1e-6, 1e-7, "log_sigmas");
        Assert.Equal(new long[] { 1000 }, Ms.Sigmas.shape);
        Assert.Equal(ScalarType.Float32, Ms.LogSigmas.dtype);
        Assert.Equal(0.029167159f, Ms.SigmaMin, 1e-7f);
        Assert.Equal(14.614642f, Ms.SigmaMax, 1e-5f);
    }

    [Fact]
    public void Timestep_is_the_nearest_table_index_as_float()
    {
        using var scope = NewDisposeScope();
        var t = Ms.Timestep(tensor(Fixture.GetProperty("timestep_in").Floats()));

        Assert.Equal(ScalarType.Float32, t.dtype);
        var expected = Fixture.GetProperty("timestep_out").EnumerateArray().Select(v => (float)v.GetInt64()).ToArray();
        Assert.Equal(expected, t.data<float>().ToArray());
    }

    [Fact]
    public void Sigma_interpolates_log_sigmas_and_clamps_the_timestep()
    {
        using var scope = NewDisposeScope();
        var sigma = Ms.Sigma(tensor(Fixture.GetProperty("sigma_in").Floats()));

        Close.Values(Fixture.GetProperty("sigma_out").Floats(), sigma, 1e-6, 0, "sigma(t)");
    }

    [Fact]
    public void Eps_scalings_broadcast_one_sigma_per_batch_item()
    {
        using var scope = NewDisposeScope();
        var shape = Fixture.GetProperty("x_shape").Shape();
        var x = Fixture.GetProperty("x").Tensor(shape);
        var eps = Fixture.GetProperty("eps").Tensor(shape);
        var sigmas = tensor(Fixture.GetProperty("batch_sigmas").Floats());

        Close.Values(Fixture.GetProperty("calculate_input").Floats(), ModelSamplingDiscrete.CalculateInput(sigmas, x), 1e-6, 1e-7, "calculate_input");
        Close.Values(Fixture.GetProperty("calculate_denoised").Floats(), ModelSamplingDiscrete.CalculateDenoised(sigmas, eps, x), 1e-6, 1e-7, "calculate_denoised");
        Close.Values(Fixture.GetProperty("noise_scaling_max").Floats(), ModelSamplingDiscrete.NoiseScaling(sigmas[1], eps, x, maxDenoise: true), 1e-6, 1e-7, "noise_scaling max");
        Close.Values(Fixture.GetProperty("noise_scaling").Floats(), ModelSamplingDiscrete.NoiseScaling(sigmas[1], eps, x, maxDenoise: false), 1e-6, 1e-7, "noise_scaling");
    }

    [Fact]
    public void Max_denoise_when_the_first_sigma_is_sigma_max_within_1e5_or_above()
    {
        Assert.True(Ms.IsMaxDenoise(Ms.SigmaMax));
        Assert.True(Ms.IsMaxDenoise(14.61464f)); // the normal scheduler's first sigma, 1 ulp below
        Assert.True(Ms.IsMaxDenoise(20f));
        Assert.False(Ms.IsMaxDenoise(14.6f));
        Assert.False(Ms.IsMaxDenoise(1f));
    }
}
