using ComfySnap.Contracts;
using ComfySnap.Worker.Fleet;

namespace ComfySnap.Tests.Fleet;

/// <summary>Which pressured model queue an idle worker takes on, and when it lets go of it.</summary>
public sealed class BalanceDecisionTests
{
    private static readonly ModelSet SetA = ModelSet.Of(["checkpoints/a.safetensors"])!;
    private static readonly ModelSet SetB = ModelSet.Of(["checkpoints/b.safetensors"])!;
    private static readonly ModelSet SetC = ModelSet.Of(["checkpoints/c.safetensors", "loras/x.safetensors"])!;
    private static readonly TimeSpan TakeOnAfter = TimeSpan.FromSeconds(5);

    private static ModelPressure P(ModelSet set, uint waiting, uint consumers, double oldestSeconds) => new(set, waiting, consumers, TimeSpan.FromSeconds(oldestSeconds));

    private static ModelSet? Choose(IReadOnlyList<ModelPressure> pressures, IReadOnlyList<ModelSet>? held = null, bool idle = true, Func<ModelSet, bool>? loadable = null) =>
        BalanceDecision.Choose(pressures, held ?? [SetA], idle, loadable ?? (_ => true), TakeOnAfter);

    [Fact]
    public void The_score_weighs_a_waiting_job_as_ten_seconds_of_the_oldest_wait()
    {
        Assert.Equal(3 * 10 + 4.5, P(SetB, 3, 0, 4.5).Score);
        // Two jobs waiting 1 s press harder than one job waiting 9 s; one waiting 12 s harder than both.
        Assert.Equal(SetB, Choose([P(SetB, 2, 0, 1), P(SetC, 1, 0, 9)]));
        Assert.Equal(SetC, Choose([P(SetB, 2, 0, 1), P(SetC, 1, 0, 12)]));
    }

    [Fact]
    public void An_idle_worker_takes_on_a_queue_nobody_consumes_at_once_and_one_with_busy_holders_after_the_wait()
    {
        Assert.Equal(SetB, Choose([P(SetA, 0, 1, 0), P(SetB, 1, 0, 0)]));
        Assert.Null(Choose([P(SetB, 1, 1, 4.9)]));
        Assert.Equal(SetB, Choose([P(SetB, 1, 1, 5)]));
    }

    [Fact]
    public void Nothing_is_taken_on_by_a_busy_worker_while_its_own_sets_have_jobs_waiting_or_when_no_job_waits()
    {
        var pressed = P(SetB, 4, 0, 20);
        Assert.Null(Choose([pressed], idle: false));
        Assert.Null(Choose([P(SetA, 1, 1, 0), pressed]));
        Assert.Null(Choose([P(SetA, 0, 1, 0), P(SetB, 0, 0, 0)]));
        // A set held here is never "taken on": its queue is consumed already.
        Assert.Null(Choose([P(SetA, 3, 1, 30)], held: [SetA]));
    }

    [Fact]
    public void A_set_that_cannot_load_here_is_passed_over_for_the_next_pressed_one()
    {
        Assert.Equal(SetC, Choose([P(SetB, 9, 0, 30), P(SetC, 1, 0, 0)], loadable: s => s != SetB));
        Assert.Null(Choose([P(SetB, 9, 0, 30)], loadable: s => s != SetB));
    }

    [Fact]
    public void A_set_taken_on_is_kept_until_it_is_held_cannot_load_or_no_job_waits_for_an_idle_worker()
    {
        Assert.True(BalanceDecision.Keep(SetB, P(SetB, 1, 1, 0), [SetA], idle: true, loadableHere: true));
        Assert.True(BalanceDecision.Keep(SetB, P(SetB, 0, 1, 0), [SetA], idle: false, loadableHere: true));
        Assert.False(BalanceDecision.Keep(SetB, P(SetB, 0, 1, 0), [SetA], idle: true, loadableHere: true));
        Assert.False(BalanceDecision.Keep(SetB, null, [SetA], idle: true, loadableHere: true));
        Assert.False(BalanceDecision.Keep(SetB, P(SetB, 5, 1, 0), [SetA, SetB], idle: true, loadableHere: true));
        Assert.False(BalanceDecision.Keep(SetB, P(SetB, 5, 1, 0), [SetA], idle: false, loadableHere: false));
    }
}
