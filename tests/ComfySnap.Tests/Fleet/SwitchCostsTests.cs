using ComfySnap.Worker.Fleet;

namespace ComfySnap.Tests.Fleet;

/// <summary>The cost model that decides a switch by restore against a load: priors first, then what this worker observed.</summary>
public sealed class SwitchCostsTests
{
    private const long MiB = 1L << 20;

    [Fact]
    public void Before_anything_was_observed_the_priors_decide_and_a_small_model_loads()
    {
        var costs = new SwitchCosts(TimeSpan.FromSeconds(3), 1024 * MiB);

        var small = costs.Decide([new IncomingModel("checkpoints/small.safetensors", 60 * MiB)]);
        var large = costs.Decide([new IncomingModel("checkpoints/sdxl.safetensors", 6 * 1024 * MiB)]);

        Assert.False(small.Switch);
        Assert.Equal(60.0 / 1024 * 1000, small.ExpectedLoadMs, 1e-6);
        Assert.Equal("load ~0.1 s expected, switch ~3.0 s: loading", small.Comparison);
        Assert.True(large.Switch);
        Assert.Equal("load ~6.0 s expected, switch ~3.0 s: switching", large.Comparison);
    }

    [Fact]
    public void A_models_own_observed_load_time_beats_the_bandwidth_estimate_and_others_use_the_observed_bandwidth()
    {
        var costs = new SwitchCosts(TimeSpan.FromSeconds(3), 1024 * MiB);
        // 2 GiB in 500 ms: 4 GiB/s here (weights mapped from the page cache), not the prior's 1 GiB/s.
        costs.ObserveLoad("checkpoints/sd15.safetensors", 2048 * MiB, 500);

        Assert.Equal(500, costs.ExpectedLoadMs([new IncomingModel("checkpoints/sd15.safetensors", 2048 * MiB)]), 1e-6);
        Assert.Equal(1500, costs.ExpectedLoadMs([new IncomingModel("checkpoints/sdxl.safetensors", 6144 * MiB)]), 1e-6);
        Assert.False(costs.Decide([new IncomingModel("checkpoints/sdxl.safetensors", 6144 * MiB)]).Switch);
        Assert.Equal((1, 0), costs.Observed);
    }

    [Fact]
    public void A_small_files_load_time_is_its_own_but_does_not_set_the_bandwidth_for_large_ones()
    {
        var costs = new SwitchCosts(TimeSpan.FromSeconds(3), 1024 * MiB);
        // 60 MB in 0.87 s (module construction on a busy host): as a bandwidth a 2 GiB model would look like 30 s.
        costs.ObserveLoad("checkpoints/small.safetensors", 60 * MiB, 870);

        Assert.Equal(870, costs.ExpectedLoadMs([new IncomingModel("checkpoints/small.safetensors", 60 * MiB)]), 1e-6);
        Assert.Equal(2000, costs.ExpectedLoadMs([new IncomingModel("checkpoints/sd15.safetensors", 2048 * MiB)]), 1e-6);
    }

    [Fact]
    public void Observed_switches_replace_the_prior_then_move_it_as_a_weighted_average()
    {
        var costs = new SwitchCosts(TimeSpan.FromSeconds(3), 1024 * MiB);
        var sdxl = new IncomingModel("checkpoints/sdxl.safetensors", 6144 * MiB);
        Assert.True(costs.Decide([sdxl]).Switch);

        costs.ObserveSwitch(8000);
        Assert.Equal(8000, costs.ExpectedSwitchMs, 1e-6);
        Assert.False(costs.Decide([sdxl]).Switch); // 6 s to load against 8 s to switch: loading

        costs.ObserveSwitch(1000);
        Assert.InRange(costs.ExpectedSwitchMs, 1000.001, 7999.999); // moved toward the new observation, not replaced by it
        Assert.Equal((0, 2), costs.Observed);
    }

    [Fact]
    public void A_tie_loads_and_nothing_to_load_never_switches()
    {
        var costs = new SwitchCosts(TimeSpan.FromSeconds(1), 1024 * MiB);

        Assert.False(costs.Decide([new IncomingModel("checkpoints/a.safetensors", 1024 * MiB)]).Switch);
        Assert.False(costs.Decide([]).Switch);
        costs.ObserveLoad("checkpoints/a.safetensors", 1024 * MiB, 0); // not a measurement: ignored
        Assert.Equal((0, 0), costs.Observed);
    }
}
