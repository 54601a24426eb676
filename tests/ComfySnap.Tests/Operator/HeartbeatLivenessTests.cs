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
}
