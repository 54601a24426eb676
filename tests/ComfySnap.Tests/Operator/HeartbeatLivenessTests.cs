using ComfySnap.Contracts;
using ComfySnap.Operator.Status;

namespace ComfySnap.Tests.Operator;

/// <summary>How `status` ages a worker's last heartbeat (pure logic).</summary>
public sealed class HeartbeatLivenessTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 30, 7, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(1000, 2000, false)]
    [InlineData(5900, 2000, false)]
    [InlineData(6100, 2000, true)]
    [InlineData(31000, 10000, true)]
    public void A_worker_is_stale_after_three_of_its_own_intervals(int ageMs, int intervalMs, bool stale)
    {
        var beat = new WorkerHeartbeat("w", BootMode.Restored, null, 0, 0, 1, intervalMs, Now.AddMilliseconds(-ageMs));

        var (age, isStale) = StatusCommand.Liveness(beat, Now);

        Assert.Equal(TimeSpan.FromMilliseconds(ageMs), age);
        Assert.Equal(stale, isStale);
    }

    [Fact]
    public void No_heartbeat_has_no_age_and_is_not_called_stale()
    {
        Assert.Equal((null, false), StatusCommand.Liveness(null, Now));
    }

    [Fact]
    public void A_model_queue_is_marked_when_every_worker_that_served_it_went_silent_judged_by_its_newest_heartbeat()
    {
        var set = ModelSet.Of(["checkpoints/a.safetensors"])!;
        WorkerHeartbeat Beat(string id, int ageMs, bool serves) =>
            new(id, BootMode.ColdBoot, null, 0, 0, 1, 1000, Now.AddMilliseconds(-ageMs), ModelSets: serves ? [set] : []);

        var allDead = ModelQueueHolders.Of(set, [Beat("w1", 5000, true), Beat("w2", 9000, true), Beat("w3", 100, false)], Now);
        Assert.True(allDead.AllDead);
        Assert.Equal(["w1", "w2"], allDead.Dead);

        // w1's newer heartbeat (heard on the bus) outranks its stale registry entry; it no longer serves the set.
        var oneLive = ModelQueueHolders.Of(set, [Beat("w1", 5000, true), Beat("w1", 200, false), Beat("w2", 100, true)], Now);
        Assert.False(oneLive.AllDead);
        Assert.Equal(["w2"], oneLive.Live);
        Assert.Empty(oneLive.Dead);
    }
}
